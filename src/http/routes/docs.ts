import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiError } from '../../errors';
import { openApiDocument } from '../openapi';
import { defineRoute, type Route } from '../route';
import { apiBase, type Services } from '../services';
import { sendJson } from '../json';
import { examples } from '../examples';

/** The renderer's files served under /docs/assets/, by name: a fixed table, so no request names a file. */
const RENDERER_DIRECTORY = dirname(require.resolve('swagger-ui-dist/package.json'));
const rendererAssets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The /docs page: a quick start, then the document rendered by Swagger UI (shipped in swagger-ui-dist, served from here: no CDN). */
function docsPage(baseUrl: string): string {
  const base = escapeHtml(baseUrl);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>SessionDock Local API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<style>
  body { margin: 0; font-family: system-ui, sans-serif; }
  #quick-start { max-width: 1400px; margin: 0 auto; padding: 16px 20px 0; }
  #quick-start pre { background: #f4f4f4; padding: 10px 12px; border-radius: 4px; overflow-x: auto; }
</style>
</head>
<body>
<section id="quick-start">
  <h1>SessionDock Local API</h1>
  <h2>Quick start</h2>
  <p>Every <code>/api/v1</code> route needs the token: print it with <code>sessiondock token</code> (it lives in the data directory, mode 0600).
  Clients read the base URL and the token from <code>SESSIONDOCK_BASE_URL</code> and <code>SESSIONDOCK_TOKEN</code>.
  Check <code>/health</code> first and gate writes on its <code>effectiveMode</code> (<code>full-automation</code>).</p>
  <pre>export SESSIONDOCK_BASE_URL=${base}
export SESSIONDOCK_TOKEN="$(sessiondock token)"
curl -s -H "Authorization: Bearer $SESSIONDOCK_TOKEN" "$SESSIONDOCK_BASE_URL/health"</pre>
  <p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
</section>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, defaultModelsExpandDepth: 1 });
</script>
</body>
</html>
`;
}

/** The API's own documentation: the OpenAPI document of the route table, and a page that renders it (no token). */
export function docsRoutes(services: Services, allRoutes: () => readonly Route<any>[]) {
  let document: object | undefined;
  return [
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      mode: 'disabled',
      operationId: 'getOpenApiDocument',
      tag: 'system',
      summary: 'This OpenAPI 3.1 document',
      responses: { 200: { description: 'The document', schema: { type: 'object', required: ['openapi', 'info', 'paths'] }, example: examples.document } },
      async handle(ctx) {
        document ??= openApiDocument(allRoutes(), { version: services.version, serverUrl: services.origin() });
        sendJson(ctx, document);
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/docs',
      mode: 'disabled',
      operationId: 'getDocsPage',
      tag: 'system',
      summary: 'The API documentation, rendered, with a quick start',
      responses: { 200: { description: 'An HTML page', contentType: 'text/html' } },
      async handle(ctx) {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = docsPage(apiBase(services));
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/docs/assets/:name',
      mode: 'disabled',
      operationId: 'getDocsAsset',
      tag: 'system',
      summary: "The documentation page's renderer (Swagger UI)",
      responses: { 200: { description: 'A stylesheet (text/css) or a script (text/javascript)', contentType: ['text/css', 'text/javascript'] } },
      errors: { not_found: ['No such documentation asset.'] },
      async handle(ctx) {
        const type = Object.hasOwn(rendererAssets, ctx.params.name) ? rendererAssets[ctx.params.name] : undefined;
        if (!type) throw new ApiError('not_found', 'No such documentation asset.');
        ctx.type = type;
        ctx.set('Cache-Control', 'public, max-age=86400');
        ctx.body = createReadStream(join(RENDERER_DIRECTORY, ctx.params.name));
      },
    }),
  ];
}
