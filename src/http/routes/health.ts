import { defineRoute } from '../route';
import { apiBase, type Services } from '../services';
import { dataOf, healthSchema } from '../../schemas/responses';
import { sendJson } from '../json';
import { examples } from '../examples';

export const healthRoutes = (services: Services) => [
  defineRoute({
    method: 'GET',
    path: '/api/v1/health',
    mode: 'disabled',
    operationId: 'getHealth',
    tag: 'system',
    summary: 'Server status, modes and log position',
    responses: { 200: { description: 'Status', schema: dataOf(healthSchema), example: examples.health } },
    async handle(ctx) {
      const { modes, store, sessions, projections, requests } = services;
      const lastError = modes.lastError();
      sendJson(ctx, {
        data: {
          status: 'ok',
          configuredMode: modes.configured,
          effectiveMode: modes.effective(),
          running: true,
          port: services.port(),
          baseUrl: apiBase(services),
          docsUrl: `${services.origin()}/docs`,
          requestCount: requests.requestCount(),
          recentRequests: requests.recentRequests(),
          ...(lastError ? { lastError } : {}),
          version: services.version,
          log: { position: store.head().position, sessions: sessions.count() },
          projections: projections.status(),
        },
      });
    },
  }),
];
