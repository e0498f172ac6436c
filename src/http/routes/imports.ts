import type { Context } from 'koa';
import { ImportRequested } from '../../../events/imports';
import { idempotencyScopes } from '../../../projections/idempotency';
import { commit } from '../../commands/commit';
import { ApiError } from '../../errors';
import { newImportId } from '../../ids';
import { type ImportBody, importBodySchema, importStatusSchema, type ImportSummary, importSummarySchema } from '../../schemas/import';
import { onceByKey } from '../idempotency';
import { pageQuery } from '../query';
import { defineRoute } from '../route';
import type { Services } from '../services';
import { metaOf } from '../session-writes';
import { dataOf, pageOf } from '../../schemas/responses';
import { idempotencyKeyHeader, pageParameters } from '../parameters';
import { sendJson } from '../json';
import { examples } from '../examples';
import { idempotencyErrors } from '../error-docs';

/** §7: an import body may be this large. */
const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

/** Batch import (§7): accepted at once (202), run in the background, its progress read from its stream's read model. */
export function importRoutes(services: Services) {
  /** The answer to POST /import: the counters as they stand when the import is accepted. */
  const accepted = (ctx: Context, importId: string, total: number) => {
    const summary: ImportSummary = { importId, total, completed: 0, failed: 0, skipped: 0, done: false, durationMs: 0 };
    ctx.status = 202;
    ctx.set('Location', `/api/v1/import/${importId}`);
    sendJson(ctx, { data: summary });
  };

  const startImport = (ctx: Context, body: ImportBody) =>
    onceByKey(
      services,
      ctx,
      idempotencyScopes.ImportRequested(),
      body,
      async (idempotency) => {
        const importId = newImportId();
        const data = { kind: body.kind ?? null, generatePreviews: body.generatePreviews ?? false, items: body.items };
        await commit(services, importId, 0, [{ type: ImportRequested.type, data }], metaOf(services, ctx, idempotency));
        services.importRunner.enqueue(importId);
        accepted(ctx, importId, body.items.length);
      },
      async (first) => accepted(ctx, first.streamId, services.imports.get(first.streamId)!.items.length),
    );

  return [
    defineRoute<ImportBody>({
      method: 'POST',
      path: '/api/v1/import',
      mode: 'full-automation',
      operationId: 'createImport',
      tag: 'imports',
      summary: 'Import projects as sessions, in the background',
      headers: idempotencyKeyHeader,
      responses: {
        202: { description: 'Accepted: the import runs in the background', schema: dataOf(importSummarySchema), example: examples.importAccepted, headers: { Location: "The import's status URL path.", 'Idempotent-Replayed': 'true on a replayed answer.' } },
      },
      errors: idempotencyErrors,
      body: { schema: importBodySchema, limit: IMPORT_BODY_LIMIT, example: examples.importBody },
      async handle(ctx, body) {
        await startImport(ctx, body);
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/api/v1/import',
      mode: 'read-only',
      operationId: 'listImports',
      tag: 'imports',
      summary: 'Recent imports, newest first',
      query: pageParameters,
      responses: { 200: { description: 'A page of imports', schema: pageOf(importSummarySchema), example: examples.importPage } },
      async handle(ctx) {
        const { limit, offset } = pageQuery(ctx);
        const records = services.imports.recent();
        const now = services.now();
        sendJson(ctx, { data: records.slice(offset, offset + limit).map((record) => services.imports.summary(record, now)), meta: { total: records.length, limit, offset } });
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/api/v1/import/:importId',
      mode: 'read-only',
      operationId: 'getImport',
      tag: 'imports',
      summary: "An import's counters and the outcome of every item processed so far",
      responses: { 200: { description: 'The import', schema: dataOf(importStatusSchema), example: examples.importStatus } },
      errors: { not_found: ['import not found'] },
      async handle(ctx) {
        const record = services.imports.get(ctx.params.importId);
        if (!record) throw new ApiError('not_found', 'import not found');
        sendJson(ctx, { data: { ...services.imports.summary(record, services.now()), items: services.imports.results(record) } });
      },
    }),
  ];
}
