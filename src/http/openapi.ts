import { eventMetaSchema } from '../../events/envelope';
import { DEFAULT_PORT } from '../config';
import { apiErrors, type ApiErrorCode } from '../errors';
import { importStatusSchema, importSummarySchema } from '../schemas/import';
import { previewSchema } from '../schemas/preview';
import { errorSchema, eventSchema, eventSchemasByType, healthSchema, waveformSchema } from '../schemas/responses';
import { sessionSchema } from '../schemas/session';
import { waveformNotesSchema } from '../schemas/waveform-notes';
import { apiTags } from './api-tags';
import { errorDocsOf, type ResponseDoc, type Route } from './route';

/** Schemas shown under their own name (and referenced) rather than inline wherever they are used. */
const namedSchemas = new Map<object, string>([
  [sessionSchema, 'Session'],
  [previewSchema, 'Preview'],
  [waveformSchema, 'Waveform'],
  [waveformNotesSchema, 'WaveformNotes'],
  [eventSchema, 'Event'],
  // Each event type: its envelope (`SessionCreatedEvent`) and its data (`SessionCreatedData`).
  ...[...eventSchemasByType].flatMap(([type, { event, data }]) => [[event, `${type}Event`], [data, `${type}Data`]] as Array<[object, string]>),
  [eventMetaSchema, 'EventMeta'],
  [healthSchema, 'Health'],
  [importSummarySchema, 'ImportSummary'],
  [importStatusSchema, 'ImportStatus'],
  [errorSchema, 'Error'],
]);

const reference = (name: string) => `#/components/schemas/${name}`;

/** A copy of `schema` with every named schema inside it replaced by a reference. */
function withReferences(schema: unknown, root = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withReferences(item, false));
  if (schema === null || typeof schema !== 'object') return schema;
  const name = namedSchemas.get(schema);
  if (name !== undefined && !root) return { $ref: reference(name) };
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withReferences(value, false)]));
}

/** The named schemas as the document's components; Event tells its types apart by `type` (for generators). */
function componentSchemas(): Record<string, unknown> {
  const schemas: Record<string, unknown> = Object.fromEntries([...namedSchemas].map(([schema, name]) => [name, withReferences(schema)]));
  schemas.Event = {
    ...(schemas.Event as object),
    discriminator: { propertyName: 'type', mapping: Object.fromEntries([...eventSchemasByType.keys()].map((type) => [type, reference(`${type}Event`)])) },
  };
  return schemas;
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

/** A code or a message as a description shows it; `{name}` in a message is a part that varies with the request. */
const quoted = (message: string) => `\`${message}\``;

/** The error responses of a route, by status: each lists its codes and the messages each is sent with. */
function errorResponses(route: Route<any>): Record<string, object> {
  const byStatus = new Map<number, Array<[ApiErrorCode, readonly string[]]>>();
  for (const [code, messages] of Object.entries(errorDocsOf(route)) as Array<[ApiErrorCode, readonly string[]]>) {
    const status = apiErrors[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), [code, messages.length > 0 ? messages : [apiErrors[code].message]]]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, entries]) => [
      String(status),
      {
        description: entries.map(([code, messages]) => `- ${quoted(code)}: ${messages.map(quoted).join(' · ')}`).join('\n'),
        content: {
          'application/json': {
            schema: {
              allOf: [{ $ref: reference('Error') }],
              properties: { error: { properties: { status: { const: status }, code: { enum: entries.map(([code]) => code) } } } },
            },
          },
        },
      },
    ]),
  );
}

/** The media types of a response that is not JSON; audio and other bytes as binary strings. */
function otherContent(response: ResponseDoc): Record<string, object> {
  const types: readonly string[] = typeof response.contentType === 'string' ? [response.contentType] : response.contentType ?? [];
  return Object.fromEntries(
    types.map((type) => {
      const text = type.startsWith('text/');
      return [type, { schema: text ? { type: 'string' } : { type: 'string', format: 'binary' }, ...(text && response.example !== undefined ? { example: response.example } : {}) }];
    }),
  );
}

function responseObject(response: ResponseDoc): object {
  const content = response.schema
    ? { 'application/json': { schema: withReferences(response.schema), ...(response.example === undefined ? {} : { example: response.example }) } }
    : otherContent(response);
  return {
    description: response.description,
    ...(response.headers ? { headers: Object.fromEntries(Object.entries(response.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) } : {}),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
}

/** A query parameter that is an array is repeated (`tags=a&tags=b`), as the server reads it. */
const repeated = (schema: object) => ('type' in schema && schema.type === 'array' ? { style: 'form', explode: true } : {});

function operation(route: Route<any>): object {
  const { parameters: pathParameters } = pathOf(route);
  const secured = route.path.startsWith('/api/v1/');
  const parameters = [
    ...pathParameters.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...Object.entries(route.query ?? {}).map(([name, doc]) => ({ name, in: 'query', required: false, description: doc.description, schema: doc.schema, ...repeated(doc.schema) })),
    ...Object.entries(route.headers ?? {}).map(([name, doc]) => ({ name, in: 'header', required: false, description: doc.description, schema: doc.schema })),
  ];
  const responses = Object.fromEntries(Object.entries(route.responses).map(([status, response]) => [status, responseObject(response)]));
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
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
    tags: Object.entries(apiTags).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token printed by `sessiondock token`.' } },
      schemas: componentSchemas(),
    },
  };
}
