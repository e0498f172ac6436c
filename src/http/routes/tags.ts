import { defineRoute } from '../route';
import type { Services } from '../services';
import { dataOf, tagCountSchema } from '../../schemas/responses';
import { sendJson } from '../json';

export const tagRoutes = (services: Services) => [
  defineRoute({
    method: 'GET',
    path: '/api/v1/tags',
    mode: 'read-only',
    summary: 'Tags over live sessions with their counts, most used first',
    responses: { 200: { description: 'Tags, most used first', schema: dataOf({ type: 'array', items: tagCountSchema }) } },
    async handle(ctx) {
      sendJson(ctx, { data: services.sessions.tagCounts() });
    },
  }),
];
