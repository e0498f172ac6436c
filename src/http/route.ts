import type { Context } from 'koa';
import Router from '@koa/router';
import { ApiError } from '../errors';
import { allows, type Mode, type ModeState } from '../modes';
import { compileBody, type BodyRules } from '../schemas/validate';
import { readJsonBody } from './body';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A route as the router serves it and, later, as the OpenAPI document describes it. */
export interface Route<Body = unknown> {
  method: Method;
  path: string;
  /** The lowest effective mode that may call it: 'disabled' means any mode (health). */
  mode: Mode;
  summary: string;
  body?: { schema: object; rules?: BodyRules; limit?: number };
  handle(ctx: Context, body: Body): Promise<void>;
}

export const defineRoute = <Body>(route: Route<Body>): Route<Body> => route;

/** Mounts routes behind the mode gate and, for routes that take one, the validated JSON body. */
export function mountRoutes(router: Router, routes: readonly Route<any>[], modes: ModeState): void {
  for (const route of routes) {
    const validate = route.body && compileBody(route.body.schema, route.body.rules);
    router.register(route.path, [route.method], async (ctx: Context) => {
      assertMode(modes.effective(), route.mode);
      const body = validate ? validate(await readJsonBody(ctx, route.body!.limit)) : undefined;
      await route.handle(ctx, body);
    });
  }
}

function assertMode(effective: Mode, needed: Mode): void {
  if (allows(effective, needed)) return;
  throw new ApiError(effective === 'disabled' ? 'disabled' : 'read_only');
}
