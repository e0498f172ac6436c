import type { Context } from 'koa';
import { idempotencyScopes } from '../../../projections/idempotency';
import type { SessionState } from '../../../projections/session-state';
import { openAudioFile } from '../../audio/audio-file';
import { usableFile } from '../../files/usable-path';
import { isAudioError } from '../../audio/errors';
import { mediaTypes } from '../../audio/format';
import { attachPreviewBodySchema, decideAttachPreview, type AttachPreviewBody } from '../../commands/attach-preview';
import { decideDetachPreview } from '../../commands/detach-preview';
import { ApiError } from '../../errors';
import { onceByKey } from '../idempotency';
import { defineRoute } from '../route';
import { apiBase, type Services } from '../services';
import { readSession, writeSession } from '../session-writes';
import { etagOf, previewOf } from '../session-view';
import { sessionAt } from '../time-travel';
import { dataOf } from '../../schemas/responses';
import { idempotencyKeyHeader, ifMatchHeader, sessionEtag } from '../parameters';
import { previewSchema } from '../../schemas/preview';
import { sendJson } from '../json';
import { examples } from '../examples';
import { idempotencyErrors, mergeErrorDocs, sessionNotFound, sessionWriteErrors } from '../error-docs';

/**
 * What every path that cannot be attached gets, whatever the reason (missing, not a file, not
 * audio, refused, unreadable): a client cannot tell them apart to probe the disk.
 */
export const UNATTACHABLE = 'must be an absolute path to a readable audio file';

/** The media type of the audio file at `path`, sniffed from its header; 400 naming `/path` when it is not one (the reason goes to the log). */
async function attachableMediaType(services: Services, ctx: Context, path: string): Promise<string> {
  const refuse = (reason: string) => {
    services.logger.log('info', 'preview path refused', { requestId: ctx.state.requestId, reason });
    return new ApiError('invalid_request', `path ${UNATTACHABLE}.`, [{ field: '/path', message: UNATTACHABLE }]);
  };
  const usable = await usableFile(path);
  if (!usable.usable) throw refuse(usable.reason);
  try {
    const file = await openAudioFile(usable.realPath);
    await file.handle.close();
    return mediaTypes[file.format];
  } catch (error) {
    if (!isAudioError(error)) throw error;
    throw refuse(error.message);
  }
}

/** A session's preview variants (§6, §10): read the summary, attach a file, detach a variant. */
export function previewRoutes(services: Services) {
  const respond = (ctx: Context, session: SessionState, status = 200) => {
    ctx.status = status;
    ctx.set('ETag', etagOf(session.version));
    sendJson(ctx, { data: previewOf(session, apiBase(services)) });
  };

  const attach = (ctx: Context, body: AttachPreviewBody) =>
    onceByKey(
      services,
      ctx,
      idempotencyScopes.PreviewAttached(ctx.params.id),
      body,
      async (idempotency) => {
        readSession(services, ctx);
        const mime = await attachableMediaType(services, ctx, body.path);
        let variantId = '';
        const session = await writeSession(
          services,
          ctx,
          (state) => {
            const events = decideAttachPreview(state, { ...body, mime });
            variantId = events[0].data.variantId as string;
            return events;
          },
          idempotency,
        );
        respond(ctx, session!, 201);
        services.previewAnalysis.start(session!.id, { id: variantId, path: body.path }, ctx.state.requestId);
      },
      async (first) => respond(ctx, (await sessionAt(services.store, first.streamId, first.position))!, 201),
    );

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id/preview',
      mode: 'read-only',
      operationId: 'getSessionPreview',
      tag: 'previews',
      summary: "A session's preview variants and preferred preview",
      responses: { 200: { description: 'The preview summary', schema: dataOf(previewSchema), example: examples.preview, headers: sessionEtag } },
      errors: sessionNotFound,
      async handle(ctx) {
        respond(ctx, readSession(services, ctx));
      },
    }),

    defineRoute<AttachPreviewBody>({
      method: 'POST',
      path: '/api/v1/sessions/:id/previews',
      mode: 'full-automation',
      operationId: 'attachPreview',
      tag: 'previews',
      summary: 'Attach an audio file as a preview variant',
      headers: { ...idempotencyKeyHeader, ...ifMatchHeader },
      responses: { 201: { description: 'The preview summary with the new variant', schema: dataOf(previewSchema), example: examples.previewAttached, headers: { ...sessionEtag, 'Idempotent-Replayed': 'true on a replayed answer.' } } },
      errors: mergeErrorDocs(sessionWriteErrors, idempotencyErrors, {
        invalid_request: [`path ${UNATTACHABLE}.`],
        conflict: ['The session already has a preview variant "{id}".'],
      }),
      body: { schema: attachPreviewBodySchema, example: examples.attachPreviewBody },
      async handle(ctx, body) {
        await attach(ctx, body);
      },
    }),

    defineRoute({
      method: 'DELETE',
      path: '/api/v1/sessions/:id/previews/:variantId',
      mode: 'full-automation',
      operationId: 'detachPreview',
      tag: 'previews',
      summary: 'Detach a preview variant',
      headers: ifMatchHeader,
      responses: { 200: { description: 'The preview summary without it', schema: dataOf(previewSchema), example: examples.preview, headers: sessionEtag } },
      errors: mergeErrorDocs(sessionWriteErrors, { not_found: ['preview variant not found'] }),
      async handle(ctx) {
        respond(ctx, (await writeSession(services, ctx, (state) => decideDetachPreview(state, ctx.params.variantId)))!);
      },
    }),
  ];
}
