import assert from 'node:assert/strict';
import Router from '@koa/router';
import { version } from '../../package.json';
import { apiErrors } from '../../src/errors';
import { routeTable } from '../../src/http/app';
import { errorCodesOf, mountRoutes, type Route } from '../../src/http/route';
import type { Services } from '../../src/http/services';
import type { ModeState } from '../../src/modes';
import type { OpenApiDocument } from '../helpers/conformance';
import { startTestServer, type TestServer } from '../helpers/server';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Describing the routes reads nothing of a running server (as `sessiondock openapi` does). */
const noServices = new Proxy({} as Services, {
  get(_, name) {
    throw new Error(`a route read services.${String(name)} while only being described`);
  },
});

const table = () => routeTable(noServices, { heartbeatMs: 0, maxBufferedBytes: 0 });
const openApiPath = (route: Route<any>) => route.path.replace(/:([A-Za-z]+)/g, '{$1}');
const operations = (document: OpenApiDocument) =>
  Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
const difference = (a: Iterable<string>, b: Iterable<string>) => {
  const other = new Set(b);
  return [...a].filter((item) => !other.has(item)).sort();
};

/** The `code` values an operation's error responses document, from the enums of their schemas. */
function documentedErrorCodes(operation: { responses: Record<string, any> }): string[] {
  return Object.entries(operation.responses)
    .filter(([status]) => Number(status) >= 400)
    .flatMap(([status, response]) => {
      const schema = response.content?.['application/json']?.schema;
      const codes: string[] | undefined = schema?.properties?.error?.properties?.code?.enum;
      assert.ok(codes, `error response ${status} documents no code enum`);
      for (const code of codes) assert.equal(apiErrors[code as keyof typeof apiErrors].status, Number(status), `${code} documented under ${status}`);
      return codes;
    })
    .sort();
}

describe('API: the OpenAPI document (GET /openapi.json, contract §1)', () => {
  let server: TestServer;
  let document: OpenApiDocument;

  before(async () => {
    server = await startTestServer({ mode: 'full-automation' });
    const response = await server.call('GET', '/openapi.json');
    assert.equal(response.status, 200, response.text);
    assert.match(String(response.headers['content-type']), /^application\/json\b/);
    document = response.body;
  });

  after(() => server.dispose());

  it('is served without a token and is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
    assert.equal(validator.version, '3.1');
    assert.ok(result.valid, `the document is not valid OpenAPI 3.1: ${JSON.stringify(result.errors, null, 2)}`);
  });

  it("gives the package's version, the running origin as its server and the bearer scheme", () => {
    assert.equal(document.openapi, '3.1.0');
    assert.equal(document.info.version, version);
    assert.equal(document.servers[0].url, server.origin);
    assert.deepEqual(document.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: 'The token printed by `sessiondock token`.' });
    assert.deepEqual((document as any).security, [{ bearer: [] }]);
    // The documentation itself needs no token; every /api/v1 operation does.
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        if (path.startsWith('/api/v1/')) assert.equal(operation.security, undefined, `${method} ${path} must inherit the bearer requirement`);
        else assert.deepEqual(operation.security, [], `${method} ${path} needs no token`);
      }
    }
  });

  it('shows the session schema under its name, and the create operation refers to it', () => {
    assert.ok(document.components.schemas.Session, 'components.schemas.Session');
    const create: any = document.paths['/api/v1/sessions'].post;
    assert.equal(create.summary, 'Create a session');
    assert.deepEqual(create.responses['201'].content['application/json'].schema.properties.data, { $ref: '#/components/schemas/Session' });
  });

  describe('the router and the document: nothing in one and not the other', () => {
    it('documents every route of the route table, and nothing else', () => {
      const routes = table().map((route) => `${route.method} ${openApiPath(route)}`);
      assert.equal(new Set(routes).size, routes.length, 'the route table has a route twice');
      assert.deepEqual(difference(routes, operations(document)), [], 'routes the document does not describe');
      assert.deepEqual(difference(operations(document), routes), [], 'operations the route table does not have');
    });

    it('the koa router mounted from the route table serves exactly the documented methods and paths', () => {
      const router = new Router();
      // The mode gate is only consulted when a request comes: mounting reads nothing of it.
      mountRoutes(router, table(), {} as ModeState);
      // HEAD comes with every GET (the router adds it); the document describes the GET.
      const served = router.stack.flatMap((layer) => layer.methods.filter((method) => method !== 'HEAD').map((method) => `${method} ${String(layer.path).replace(/:([A-Za-z]+)/g, '{$1}')}`));
      assert.deepEqual(difference(served, operations(document)), [], 'served but not documented');
      assert.deepEqual(difference(operations(document), served), [], 'documented but not served');
    });

    it('the running server answers every documented operation through a route, and 405 to every other method on a documented path', async () => {
      const problems: string[] = [];
      for (const [template, item] of Object.entries(document.paths)) {
        // Path parameters that match no resource: the route is found, its handler answers 404 (or earlier, 400/415).
        let path = template.replace(/\{[^}]+\}/g, 'NoSuchThing');
        // A bad filter makes the live stream answer 400 before it starts streaming.
        if (template.endsWith('/events/stream')) path += '?type=NoSuchEventType';
        for (const method of METHODS) {
          const response = await server.call(method, path, { headers: { Authorization: `Bearer ${server.token}` } });
          const routed = !(response.status === 405 || (response.status === 404 && /^No route /.test(response.body?.error?.message ?? '')));
          const documented = item[method.toLowerCase()] !== undefined;
          if (routed !== documented) problems.push(`${method} ${path}: ${documented ? 'documented' : 'not documented'}, answered ${response.status} ${response.text.slice(0, 120)}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    it("documents, for every operation, exactly the error codes the route can give (errorCodesOf)", () => {
      const routes = new Map(table().map((route) => [`${route.method} ${openApiPath(route)}`, route]));
      const problems: string[] = [];
      for (const [path, item] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries<any>(item)) {
          const route = routes.get(`${method.toUpperCase()} ${path}`)!;
          const documented = documentedErrorCodes(operation);
          const expected = errorCodesOf(route).sort();
          const missing = difference(expected, documented);
          const extra = difference(documented, expected);
          if (missing.length + extra.length > 0) problems.push(`${method.toUpperCase()} ${path}: not documented ${JSON.stringify(missing)}, documented but not given ${JSON.stringify(extra)}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    it('every documented success status has a description, and every JSON response a schema', () => {
      for (const [path, item] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries<any>(item)) {
          assert.ok(Object.keys(operation.responses).some((status) => Number(status) < 400), `${method} ${path} documents no success`);
          for (const [status, response] of Object.entries<any>(operation.responses)) {
            assert.ok(response.description, `${method} ${path} ${status}: description`);
            for (const [type, media] of Object.entries<any>(response.content ?? {})) assert.ok(media.schema, `${method} ${path} ${status} ${type}: schema`);
          }
        }
      }
    });
  });

  describe('GET /docs and its assets (no token)', () => {
    it('serves the page with the quick start and the renderer from this server, not a CDN', async () => {
      const response = await server.call('GET', '/docs');
      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^text\/html\b/);
      for (const text of ['Quick start', 'SESSIONDOCK_BASE_URL', 'SESSIONDOCK_TOKEN', 'curl ', server.baseUrl, '/openapi.json']) assert.ok(response.text.includes(text), text);
      const sources = [...response.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
      assert.deepEqual(sources.filter((source) => /^(?:https?:)?\/\//.test(source)), [], 'no resource from another host');
    });

    it('serves the stylesheet and the script of the renderer, and 404 for any other name', async () => {
      const css = await server.call('GET', '/docs/assets/swagger-ui.css');
      assert.equal(css.status, 200);
      assert.match(String(css.headers['content-type']), /^text\/css\b/);
      const js = await server.call('GET', '/docs/assets/swagger-ui-bundle.js');
      assert.equal(js.status, 200);
      assert.match(String(js.headers['content-type']), /^text\/javascript\b/);
      assert.ok(js.text.includes('SwaggerUIBundle'));
      for (const name of ['index.html', '..%2Fpackage.json', 'swagger-ui.js']) {
        const missing = await server.call('GET', `/docs/assets/${name}`);
        assert.equal(missing.status, 404, name);
        assert.equal(missing.body.error.code, 'not_found');
      }
    });
  });
});
