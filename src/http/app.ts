import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import type { Logger } from '../log';
import type { TokenCheck } from '../token';
import { apiAuth } from './auth';
import { errorEnvelope } from './envelope';
import { guards, isOwnOrigin } from './guards';
import { mergeSlashes } from './merge-slashes';
import { mountRoutes, type Route } from './route';
import { docsRoutes } from './routes/docs';
import { eventStreamRoutes, type StreamSettings } from './routes/event-stream';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { importRoutes } from './routes/imports';
import { previewAudioRoutes } from './routes/preview-audio';
import { previewRoutes } from './routes/previews';
import { sessionActionRoutes } from './routes/session-actions';
import { sessionPartRoutes } from './routes/session-parts';
import { sessionRoutes } from './routes/sessions';
import { tagRoutes } from './routes/tags';
import { waveformRoutes } from './routes/waveforms';
import type { Services } from './services';
import type { BuiltFiles } from './web-app/built-files';
import { webApp } from './web-app/routes';

export interface AppOptions {
  services: Services;
  stream: StreamSettings;
  tokens: TokenCheck;
  logger: Logger;
  allowedOrigins: readonly string[];
  extraHost?: string;
  /** The built web app, or null when it was not built (/app/ then says how to build it). */
  uiFiles: BuiltFiles | null;
}

export const API_PREFIX = '/api/v1';

/** Every route the server serves, in one table: the router mounts it and the OpenAPI document describes it. */
export function routeTable(services: Services, stream: StreamSettings): Route<any>[] {
  const routes: Route<any>[] = [
    ...healthRoutes(services),
    ...sessionRoutes(services),
    ...sessionPartRoutes(services),
    ...sessionActionRoutes(services),
    ...tagRoutes(services),
    ...previewRoutes(services),
    ...previewAudioRoutes(services),
    ...waveformRoutes(services),
    ...importRoutes(services),
    ...eventRoutes(services),
    ...eventStreamRoutes(services, stream),
    ...docsRoutes(services, () => routes),
  ];
  return routes;
}

/**
 * request id → envelope → checks (slashes merged, Host/Origin guards, token or app cookie for /api/v1)
 * → the web app (/, /app/...) → router (mode gate, body, handler). The checks are plain functions run by
 * one middleware: every async layer costs each request a promise and a closure.
 */
export function createApp({ services, stream, tokens, logger, allowedOrigins, extraHost, uiFiles }: AppOptions): Koa {
  const app = new Koa();
  // Paths are matched as written: `/API/V1/...` is not another spelling of a route.
  const router = new Router({ sensitive: true });
  mountRoutes(router, routeTable(services, stream), services.modes);
  const ownOrigin = (origin: string) => isOwnOrigin(origin, services.port());
  const checks: Array<(ctx: Context) => 'answered' | void> = [
    mergeSlashes,
    guards({ port: services.port, allowedOrigins, extraHost }),
    apiAuth({ tokens, signIn: services.signIn, prefix: API_PREFIX, origin: services.origin, isOwnOrigin: ownOrigin }),
  ];

  app.use(services.requests.middleware());
  app.use(errorEnvelope(logger));
  app.use((ctx, next) => {
    for (const check of checks) if (check(ctx) === 'answered') return;
    return next();
  });
  app.use(webApp({ files: uiFiles, signIn: services.signIn, isOwnOrigin: ownOrigin }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.silent = true;
  return app;
}
