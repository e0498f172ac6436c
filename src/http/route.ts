import type { Context } from 'koa';
import Router from '@koa/router';
import { ApiError, type ApiErrorCode } from '../errors';
import { allows, type Mode, type ModeState } from '../modes';
import { compileBody, type BodyRules } from '../schemas/validate';
import { readJsonBody } from './body';
import { withoutEchoedFields, type CurrentView } from './echoed-fields';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A documented response: a JSON body's schema, or the media type of another kind of body. */
export interface ResponseDoc {
  description: string;
  schema?: object;
  /** For bodies that are not JSON (audio, an event stream). */
  contentType?: string;
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
  /** Error codes of its own; those every route of its kind can give are added by `errorCodesOf`. */
  errors?: readonly ApiErrorCode[];
  handle(ctx: Context, body: Body): Promise<void>;
}

/**
 * Every error code a route can answer with: its own, and those that come with what it is (an API
 * path needs the token, a mode, a body, a session id, a query, a write).
 */
export function errorCodesOf(route: Route<any>): ApiErrorCode[] {
  // Refused before routing: a foreign Host or Origin, headers over Node's limit (413); and the token on /api/v1.
  const codes = new Set<ApiErrorCode>(['forbidden_host', 'forbidden_origin', 'payload_too_large', 'method_not_allowed', 'internal_error']);
  if (route.path.startsWith('/api/v1/')) codes.add('unauthorized');
  if (route.mode !== 'disabled') codes.add('disabled');
  if (route.mode === 'full-automation') ['read_only', 'overloaded'].forEach((code) => codes.add(code as ApiErrorCode));
  if (route.body) ['invalid_json', 'invalid_request', 'payload_too_large', 'unsupported_media_type'].forEach((code) => codes.add(code as ApiErrorCode));
  if (route.query) codes.add('invalid_query');
  if (route.path.includes('/:')) codes.add('not_found');
  for (const code of route.errors ?? []) codes.add(code);
  return [...codes];
}

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

function assertMode(effective: Mode, needed: Mode): void {
  if (allows(effective, needed)) return;
  throw new ApiError(effective === 'disabled' ? 'disabled' : 'read_only');
}
