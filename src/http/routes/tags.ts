import { defineRoute } from '../route';
import type { Services } from '../services';

export const tagRoutes = (services: Services) => [
  defineRoute({
    method: 'GET',
    path: '/api/v1/tags',
    mode: 'read-only',
    summary: 'Tags over live sessions with their counts, most used first',
    async handle(ctx) {
      ctx.body = { data: services.sessions.tagCounts() };
    },
  }),
];
