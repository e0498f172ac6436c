import { DEFAULT_PORT } from '../config';
import { apiErrors, type ApiErrorCode } from '../errors';
import { importStatusSchema, importSummarySchema } from '../schemas/import';
import { previewSchema } from '../schemas/preview';
import { errorSchema, eventSchema, healthSchema, waveformSchema } from '../schemas/responses';
import { sessionSchema } from '../schemas/session';
import { waveformNotesSchema } from '../schemas/waveform-notes';
import { errorCodesOf, type Route } from './route';

/** Schemas shown under their own name (and referenced) rather than inline wherever they are used. */
const namedSchemas = new Map<object, string>([
  [sessionSchema, 'Session'],
  [previewSchema, 'Preview'],
  [waveformSchema, 'Waveform'],
  [waveformNotesSchema, 'WaveformNotes'],
  [eventSchema, 'Event'],
  [healthSchema, 'Health'],
  [importSummarySchema, 'ImportSummary'],
  [importStatusSchema, 'ImportStatus'],
  [errorSchema, 'Error'],
]);

/** A copy of `schema` with every named schema inside it replaced by a reference. */
function withReferences(schema: unknown, root = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withReferences(item, false));
  if (schema === null || typeof schema !== 'object') return schema;
  const name = namedSchemas.get(schema);
  if (name !== undefined && !root) return { $ref: `#/components/schemas/${name}` };
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withReferences(value, false)]));
}

/** The router's `/sessions/:id` as OpenAPI's `/sessions/{id}`, with its path parameters. */
function pathOf(route: Route<any>): { path: string; parameters: string[] } {
  const parameters: string[] = [];
  const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    parameters.push(name);
    return `{${name}}`;
  });
  return { path, parameters };
}

const tagOf = (route: Route<any>) => {
  const [, , , resource, , part] = route.path.split('/');
  if (!resource || route.path.startsWith('/docs') || route.path === '/openapi.json') return 'Documentation';
  if (resource === 'sessions' && part && ['preview', 'previews', 'waveform', 'waveform-notes'].includes(part)) return 'Previews';
  if (resource === 'sessions' && part === 'history') return 'Events';
  return { sessions: 'Sessions', tags: 'Sessions', events: 'Events', import: 'Import', health: 'Health' }[resource] ?? 'Other';
};

const operationId = (route: Route<any>) =>
  route.method.toLowerCase() +
  route.path
    .replace(/^\/api\/v1/, '')
    .split(/[/-]/)
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `By${part[1].toUpperCase()}${part.slice(2)}` : part[0].toUpperCase() + part.slice(1)))
    .join('')
    .replace(/[^A-Za-z0-9]/g, '');

/** The error responses of a route, by status: each lists the codes it can carry. */
function errorResponses(route: Route<any>): Record<string, object> {
  const byStatus = new Map<number, ApiErrorCode[]>();
  for (const code of errorCodesOf(route)) byStatus.set(apiErrors[code].status, [...(byStatus.get(apiErrors[code].status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, codes]) => [
      String(status),
      {
        description: codes.map((code) => `\`${code}\`: ${apiErrors[code].message}`).join(' '),
        content: {
          'application/json': {
            schema: { allOf: [{ $ref: '#/components/schemas/Error' }], properties: { error: { properties: { status: { const: status }, code: { enum: codes } } } } },
          },
        },
      },
    ]),
  );
}

function operation(route: Route<any>): object {
  const { parameters: pathParameters } = pathOf(route);
  const secured = route.path.startsWith('/api/v1/');
  const parameters = [
    ...pathParameters.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...Object.entries(route.query ?? {}).map(([name, doc]) => ({ name, in: 'query', required: false, description: doc.description, schema: doc.schema })),
    ...Object.entries(route.headers ?? {}).map(([name, doc]) => ({ name, in: 'header', required: false, description: doc.description, schema: doc.schema })),
  ];
  const responses = Object.fromEntries(
    Object.entries(route.responses).map(([status, response]) => [
      status,
      {
        description: response.description,
        ...(response.headers ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) } : {}),
        ...(response.schema ? { content: { 'application/json': { schema: withReferences(response.schema) } } } : {}),
        ...(response.contentType ? { content: { [response.contentType]: { schema: { type: 'string', ...(response.contentType.startsWith('audio') ? { contentMediaType: response.contentType } : {}) } } } } : {}),
      },
    ]),
  );
  return {
    operationId: operationId(route),
    summary: route.summary,
    tags: [tagOf(route)],
    ...(secured ? {} : { security: [] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: withReferences(route.body.schema), ...(route.body.example === undefined ? {} : { example: route.body.example }) } },
          },
        }
      : {}),
    responses: { ...responses, ...errorResponses(route) },
    'x-mode': route.mode,
  };
}

export interface DocumentInfo {
  version: string;
  /** The running server's origin, e.g. http://127.0.0.1:8765 (absent when written to a file). */
  serverUrl?: string;
}

/** The OpenAPI 3.1 document of the routes the router serves, built from the very schemas they validate with. */
export function openApiDocument(routes: readonly Route<any>[], { version, serverUrl }: DocumentInfo): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const { path } = pathOf(route);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'SessionDock Local API',
      version,
      description:
        'The loopback JSON API of SessionDock: sessions (DAW projects) with previews, waveforms and waveform notes, batch import, desktop actions, ' +
        'and an auditable event log. Every /api/v1 route needs `Authorization: Bearer <token>`.',
    },
    servers: [{ url: serverUrl ?? `http://127.0.0.1:${DEFAULT_PORT}` }],
    security: [{ bearer: [] }],
    tags: ['Health', 'Sessions', 'Previews', 'Import', 'Events', 'Documentation'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token printed by `sessiondock token`.' } },
      schemas: Object.fromEntries([...namedSchemas].map(([schema, name]) => [name, withReferences(schema)])),
    },
  };
}
