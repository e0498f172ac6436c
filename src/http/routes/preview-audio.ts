import type { Context } from 'koa';
import parseRange from 'range-parser';
import type { SessionState, VariantState } from '../../../projections/session-state';
import { openAudioFile, type AudioFile } from '../../audio/audio-file';
import { isAudioError } from '../../audio/errors';
import { mediaTypes } from '../../audio/format';
import { ApiError } from '../../errors';
import { defineRoute } from '../route';
import type { Services } from '../services';
import { readSession } from '../session-writes';
import { requestedVariant } from '../variants';
import { variantParameter } from '../parameters';
import { mergeErrorDocs, previewFileErrors, sessionNotFound, variantNotFound } from '../error-docs';

const audioHeaders = {
  'Content-Type': 'The media type sniffed from the file (audio/wav, audio/aiff, audio/flac, audio/mpeg, audio/ogg, audio/mp4).',
  'Accept-Ranges': 'bytes',
  ETag: "The file's size and modification time.",
  'Last-Modified': "The file's modification time.",
};

/** Every media type the route answers with: each preview format's, and bytes of no known type. */
const servedMediaTypes = [...Object.values(mediaTypes), 'application/octet-stream'];

const fileTag = ({ size, mtimeMs }: AudioFile) => `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;

/** The one byte range to send, `undefined` for the whole file (no Range, a malformed one, several, or a stale If-Range). */
function byteRange(ctx: Context, size: number, etag: string, modified: Date): { start: number; end: number } | undefined {
  const header = ctx.get('Range');
  if (!header) return undefined;
  const ifRange = ctx.get('If-Range');
  if (ifRange && ifRange !== etag && Date.parse(ifRange) !== Math.floor(modified.getTime() / 1000) * 1000) return undefined;
  // A suffix longer than the file means the whole file (RFC 9110 §14.1.2), which range-parser refuses.
  const suffixesClamped = header.replace(/(=|,)\s*-(\d+)/g, (spec, separator: string, length: string) => (Number(length) > size ? `${separator}0-` : spec));
  const ranges = parseRange(size, suffixesClamped, { combine: true });
  if (ranges === -1) throw new ApiError('range_not_satisfiable', `The range is outside the file's ${size} bytes.`, undefined, { 'Content-Range': `bytes */${size}` });
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return ranges[0];
}

/**
 * GET /sessions/{id}/preview/audio: the registered file of the preferred (or named) variant,
 * streamed from disk. The path comes from the log, never from the request. A file gone missing
 * answers 404 and marks its variant failed.
 */
export function previewAudioRoutes(services: Services) {
  const open = async (session: SessionState, variant: VariantState): Promise<AudioFile> => {
    try {
      return await openAudioFile(variant.path);
    } catch (error) {
      if (isAudioError(error)) await services.previewAnalysis.record(session.id, { variantId: variant.id, path: variant.path, failed: error.message });
      throw error;
    }
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id/preview/audio',
      mode: 'read-only',
      operationId: 'getSessionPreviewAudio',
      tag: 'previews',
      summary: "Stream a preview variant's audio (byte ranges supported)",
      query: variantParameter,
      headers: {
        Range: { description: 'One byte range (`bytes=0-99`, `bytes=-100`, `bytes=100-`).', schema: { type: 'string' } },
        'If-None-Match': { description: 'The ETag of a copy the client has.', schema: { type: 'string' } },
        'If-Modified-Since': { description: 'The Last-Modified of a copy the client has.', schema: { type: 'string' } },
        'If-Range': { description: 'Send the range only if the file is still this ETag or date.', schema: { type: 'string' } },
      },
      responses: {
        200: { description: 'The whole file', contentType: servedMediaTypes, headers: audioHeaders },
        206: { description: 'One byte range', contentType: servedMediaTypes, headers: { ...audioHeaders, 'Content-Range': 'bytes first-last/size' } },
        304: { description: "The client's copy is current", headers: { ETag: audioHeaders.ETag } },
      },
      errors: mergeErrorDocs(sessionNotFound, variantNotFound, previewFileErrors, { range_not_satisfiable: ["The range is outside the file's {size} bytes."] }),
      async handle(ctx) {
        const session = readSession(services, ctx);
        const file = await open(session, requestedVariant(session, ctx));
        let streaming = false;
        try {
          const etag = fileTag(file);
          const modified = new Date(file.mtimeMs);
          ctx.set('ETag', etag);
          ctx.set('Last-Modified', modified.toUTCString());
          ctx.set('Accept-Ranges', 'bytes');
          ctx.set('Cache-Control', 'no-cache');
          // Koa's freshness check (If-None-Match, else If-Modified-Since) against the validators just set.
          ctx.status = 200;
          if (ctx.fresh) {
            ctx.status = 304;
            return;
          }
          const range = byteRange(ctx, file.size, etag, modified);
          const { start, end } = range ?? { start: 0, end: file.size - 1 };
          ctx.status = range ? 206 : 200;
          if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${file.size}`);
          ctx.type = mediaTypes[file.format];
          ctx.length = end - start + 1;
          if (ctx.method === 'HEAD' || file.size === 0) return;
          ctx.body = file.handle.createReadStream({ start, end, autoClose: true });
          streaming = true;
        } finally {
          if (!streaming) await file.handle.close();
        }
      },
    }),
  ];
}
