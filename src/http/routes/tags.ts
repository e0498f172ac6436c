import { defineRoute } from '../route';
import type { Services } from '../services';
import { pageOf, tagCountSchema } from '../../schemas/responses';
import { pageParametersOf } from '../parameters';
import { pageQuery, TAG_PAGE } from '../query';
import { sendJson } from '../json';
import { examples } from '../examples';

export const tagRoutes = (services: Services) => [
  defineRoute({
    method: 'GET',
    path: '/api/v1/tags',
    mode: 'read-only',
    operationId: 'listTags',
    tag: 'tags',
    summary: 'Tags over live sessions with their counts, most used first, a page at a time',
    query: pageParametersOf(TAG_PAGE),
    responses: { 200: { description: 'A page of tags, most used first (count desc, then tag asc)', schema: pageOf(tagCountSchema), example: examples.tagPage } },
    async handle(ctx) {
      const { limit, offset } = pageQuery(ctx, TAG_PAGE);
      await services.sessions.tagsReady();
      const page = services.sessions.tagCounts(offset, limit);
      sendJson(ctx, { data: page.items, meta: { total: page.total, limit, offset } });
    },
  }),
];
