import { AssertionError } from 'node:assert';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { version } from '../../package.json';
import { routeTable } from '../../src/http/app';
import { openApiDocument } from '../../src/http/openapi';
import type { Services } from '../../src/http/services';
import type { HttpResponse } from './http';

/*
 * The API suite as a conformance test of the OpenAPI document: every response a test receives
 * through the test server's helpers is checked against what the document says that operation
 * answers with (its status, its content type, its JSON body's schema).
 */

interface MediaTypeObject {
  schema?: object;
}
interface ResponseObject {
  description: string;
  content?: Record<string, MediaTypeObject>;
}
interface OperationObject {
  responses: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  servers: Array<{ url: string }>;
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, object> };
}

/** Describing the routes must read nothing of a running server (as `sessiondock openapi` does). */
const noServices = new Proxy({} as Services, {
  get(_, name) {
    throw new Error(`a route read services.${String(name)} while only being described`);
  },
});

/** The document every test server serves (only `servers` differs between servers, and no check reads it). */
export const describedDocument = (serverUrl?: string) =>
  openApiDocument(routeTable(noServices, { heartbeatMs: 0, maxBufferedBytes: 0 }), { version, serverUrl }) as OpenApiDocument;

const excerpt = (response: HttpResponse) => {
  const text = response.bytes && !/^(text|application)\//.test(String(response.headers['content-type'] ?? '')) ? `<${response.bytes.length} bytes>` : response.text;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || '<empty>';
};

/** `audio/*` covers `audio/wav; charset=…`; `text/html` covers `text/html; charset=utf-8`. */
function mediaTypeMatches(documented: string, actual: string): boolean {
  const essence = actual.split(';')[0].trim().toLowerCase();
  const [type, subtype] = documented.toLowerCase().split('/');
  if (type === '*') return essence !== '';
  if (subtype === '*') return essence.startsWith(`${type}/`);
  return essence === documented.toLowerCase();
}

export class Conformance {
  /** Stops at a body's first error: a conforming body (the common case) is checked at the least cost. */
  private readonly ajv = new Ajv2020({ strict: false });
  /** Lists every error of a body that does not conform, for the failure message. */
  private readonly explaining = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ template: string; pattern: RegExp }>;

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    addFormats(this.explaining);
    // Literal paths before templated ones (the router knows no overlap, but be explicit).
    this.templates = Object.keys(document.paths)
      .sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))
      .map((template) => ({
        template,
        // As the router matches: case-sensitive, one optional trailing slash, a parameter is one non-empty segment.
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}/?$`),
      }));
  }

  /** The document's path template that `path` (query string and all) falls under, if any; repeated slashes merged, as the server does. */
  templateOf(path: string): string | undefined {
    const pathname = path.split(/[?#]/)[0].replace(/\/{2,}/g, '/');
    return this.templates.find(({ pattern }) => pattern.test(pathname))?.template;
  }

  private validator(key: string, schema: object): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      // The components ride along so that `#/components/schemas/...` resolves as it does in the document.
      const withComponents = { ...schema, components: this.document.components };
      const firstError = this.ajv.compile(withComponents);
      let everyError: ValidateFunction | undefined;
      // With every error collected, a oneOf (Event's fifteen types) checks each branch in full: far
      // slower, and the test server shares this process's event loop.
      const check = ((body: unknown) => {
        if (firstError(body)) return true;
        everyError ??= this.explaining.compile(withComponents);
        everyError(body);
        check.errors = everyError.errors;
        return false;
      }) as ValidateFunction;
      validate = check;
      this.validators.set(key, validate);
    }
    return validate;
  }

  private errorValidator(): ValidateFunction {
    return this.validator('Error', { $ref: '#/components/schemas/Error' });
  }

  /** Throws an AssertionError naming the request and what does not conform; returns quietly otherwise. */
  check(method: string, path: string, response: HttpResponse): void {
    const upper = method.toUpperCase();
    const where = `${upper} ${path} → ${response.status}`;
    const fail = (problem: string): never => {
      throw new AssertionError({ message: `Response does not conform to the OpenAPI document: ${where}: ${problem}\n  body: ${excerpt(response)}` });
    };
    const contentType = String(response.headers['content-type'] ?? '');
    const template = this.templateOf(path);
    // HEAD is served by the GET route: same status and headers, no body.
    const operation = template === undefined ? undefined : this.document.paths[template][upper === 'HEAD' ? 'get' : upper.toLowerCase()];

    if (operation === undefined) {
      // Undocumented: an unknown path or method (404/405), a refusal before routing, a CORS preflight.
      if (upper === 'OPTIONS' && response.status === 204 && response.text === '') return;
      if (response.status < 400) fail(`${template === undefined ? 'no documented path matches it' : `${template} documents no ${upper}`}, yet it answered ${response.status}`);
      if (upper === 'HEAD') return;
      this.checkErrorBody(response, contentType, this.errorValidator(), fail);
      return;
    }

    const documented = operation.responses[String(response.status)];
    if (documented === undefined) {
      fail(`status ${response.status} is not documented for ${upper} ${template} (documented: ${Object.keys(operation.responses).join(', ')})`);
    }
    const media = Object.entries(documented.content ?? {});
    if (media.length === 0) {
      if (response.text !== '') fail(`documented without a body, yet it has one (${contentType})`);
      return;
    }
    if (upper === 'HEAD') {
      if (response.status >= 400) return;
      if (!media.some(([type]) => mediaTypeMatches(type, contentType))) fail(`content type ${contentType} is not one of ${media.map(([type]) => type).join(', ')}`);
      return;
    }
    const json = media.find(([type]) => type === 'application/json');
    if (json) {
      const validate = this.validator(`${upper} ${template} ${response.status}`, json[1].schema ?? {});
      if (response.status >= 400) return this.checkErrorBody(response, contentType, validate, fail);
      if (!mediaTypeMatches('application/json', contentType)) fail(`content type is ${contentType || 'absent'}, documented application/json`);
      if (!validate(response.body)) fail(`body does not match the documented schema: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}`);
      return;
    }
    if (!media.some(([type]) => mediaTypeMatches(type, contentType))) fail(`content type ${contentType || 'absent'} is not one of ${media.map(([type]) => type).join(', ')}`);
  }

  private checkErrorBody(response: HttpResponse, contentType: string, validate: ValidateFunction, fail: (problem: string) => never): void {
    if (!mediaTypeMatches('application/json', contentType)) fail(`an error answered with content type ${contentType || 'absent'}, not the JSON envelope`);
    if (!validate(response.body)) fail(`error body does not match the documented schema (the Error envelope with a code documented for ${response.status}): ${this.ajv.errorsText(validate.errors, { separator: '; ' })}`);
    const { status } = (response.body as { error: { status: number } }).error;
    if (status !== response.status) fail(`error.status ${status} is not the HTTP status`);
  }
}

let shared: Conformance | undefined;

/** One checker per test process: building the document and compiling its schemas is done once. */
export const conformance = (): Conformance => (shared ??= new Conformance(describedDocument()));
