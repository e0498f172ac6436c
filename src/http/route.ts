import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream/promises';
import type { Context } from 'koa';
import Router from '@koa/router';
import { ApiError, type ApiErrorCode } from '../errors';
import { allows, type Mode, type ModeState } from '../modes';
import { compileBody, type BodyRules } from '../schemas/validate';
import type { ApiTag } from './api-tags';
import { readJsonBody } from './body';
import { withoutEchoedFields, type CurrentView } from './echoed-fields';
import { bodyErrors, everyRouteErrors, mergeErrorDocs, modeErrors, pathErrors, queryErrors, tokenErrors, writeErrors, type ErrorDocs } from './error-docs';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A documented response: a JSON body's schema, or the media type(s) of another kind of body. */
export interface ResponseDoc {
  description: string;
  schema?: object;
  /** A body as the route answers it: it validates against `schema` (or is text of `contentType`). */
  example?: unknown;
  /** For bodies that are not JSON (audio, an event stream): each media type the route may answer with. */
  contentType?: string | readonly string[];
  /** Response headers it sets, by name: what each says. */
  headers?: Record<string, string>;
}

/** A query parameter or request header a route reads. */
export interface ParameterDoc {
  description: string;
  schema: object;
}

/** A route as the router serves it and as the OpenAPI document describes it: one row, two uses. */
export interface Route<Body = unknown> {
  method: Method;
  path: string;
  /** The lowest effective mode that may call it: 'disabled' means any mode (health). */
  mode: Mode;
  /** Its name in the OpenAPI document: SessionDock's docs' name for it, camelCase, or ours in the same style. */
  operationId: string;
  /** Its group in the document, as SessionDock's docs group it. */
  tag: ApiTag;
  summary: string;
  query?: Record<string, ParameterDoc>;
  headers?: Record<string, ParameterDoc>;
  body?: {
    schema: object;
    rules?: BodyRules;
    limit?: number;
    example?: unknown;
    /**
     * What a read-modify-write client sends back (contract §5.1): `fields` it may echo from the
     * resource as `current` renders it (its GET's view). An echoed field equal to the current value
     * is dropped before validation; a changed one is refused if it is read-only (`rules.readOnlyFields`),
     * else validated like any other.
     */
    echoes?: { fields: ReadonlySet<string>; current: (ctx: Context) => CurrentView };
  };
  /** Its success (and not-modified) responses by status. */
  responses: Record<number, ResponseDoc>;
  /**
   * Error codes of its own, each with the messages it sends with it; those every route of its kind
   * can give are added by `errorDocsOf`.
   */
  errors?: ErrorDocs;
  handle(ctx: Context, body: Body): Promise<void>;
}

/**
 * Every error code a route can answer with, with its messages: its own, and those that come with
 * what it is (any path can get malformed HTTP; an API path needs the token, a mode, a body, a
 * session id, a query, a write).
 */
export function errorDocsOf(route: Route<any>): ErrorDocs {
  return mergeErrorDocs(
    everyRouteErrors,
    route.path.startsWith('/api/v1/') ? tokenErrors : {},
    route.mode !== 'disabled' ? modeErrors : {},
    route.mode === 'full-automation' ? writeErrors : {},
    route.body ? bodyErrors : {},
    route.query ? queryErrors : {},
    route.path.includes('/:') ? pathErrors : {},
    route.errors ?? {},
  );
}

export const errorCodesOf = (route: Route<any>): ApiErrorCode[] => Object.keys(errorDocsOf(route)) as ApiErrorCode[];

export const defineRoute = <Body>(route: Route<Body>): Route<Body> => route;

/**
 * Mounts routes behind the mode gate and, for routes that take one, the validated JSON body
 * (without the server-managed fields it echoes, for routes that know their current resource).
 */
export function mountRoutes(router: Router, routes: readonly Route<any>[], modes: ModeState): void {
  for (const route of routes) {
    const validate = route.body && compileBody(route.body.schema, route.body.rules);
    const echoes = route.body?.echoes;
    const readOnly = route.body?.rules?.readOnlyFields ?? new Set<string>();
    router.register(route.path, [route.method], async (ctx: Context) => {
      if (!route.body) await discardBody(ctx.req);
      assertMode(modes.effective(), route.mode);
      let body: unknown;
      if (validate) {
        const sent = await readJsonBody(ctx, route.body!.limit);
        body = validate(echoes ? withoutEchoedFields(sent, echoes.fields, readOnly, () => echoes.current(ctx)) : sent, ctx.request.length);
      }
      await route.handle(ctx, body);
    });
  }
}

/**
 * Reads and drops a request body the route does not take, before answering: a connection closed
 * with request bytes still unread is reset, and the reset cuts the answer short (a GET with a body
 * and `Connection: close`, answered with the OpenAPI document). The request timeout bounds the wait.
 */
async function discardBody(request: IncomingMessage): Promise<void> {
  if (request.complete) return;
  request.resume();
  await finished(request).catch(() => undefined);
}

function assertMode(effective: Mode, needed: Mode): void {
  if (allows(effective, needed)) return;
  throw new ApiError(effective === 'disabled' ? 'disabled' : 'read_only');
}
