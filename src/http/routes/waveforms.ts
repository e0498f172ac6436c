import type { Context } from 'koa';
import type { SessionState, VariantState } from '../../../projections/session-state';
import { wholeSecondsOf } from '../../../projections/timestamps';
import type { Waveform } from '../../audio/analyse';
import { AnalysisUnavailableError, isAudioError } from '../../audio/errors';
import { decideReplaceWaveformNotes } from '../../commands/replace-waveform-notes';
import { ApiError } from '../../errors';
import { newNoteId } from '../../ids';
import { DEFAULT_POINTS } from '../../preview-analysis';
import { type ReplaceWaveformNotesBody, replaceWaveformNotesBodySchema, waveformNotesSchema } from '../../schemas/waveform-notes';
import { wholeNumber } from '../query';
import { defineRoute } from '../route';
import type { Services } from '../services';
import { liveSession, readSession, writeSession } from '../session-writes';
import { requestedLane, requestedVariant } from '../variants';
import { dataOf, waveformSchema } from '../../schemas/responses';
import { ifMatchHeader, sessionEtag, variantParameter } from '../parameters';
import { sendJson } from '../json';
import { examples } from '../examples';
import { mergeErrorDocs, previewFileErrors, sessionNotFound, sessionWriteErrors, variantNotFound } from '../error-docs';

const MIN_POINTS = 16;
const MAX_POINTS = 10_000;
/** A body may echo the lane's names its GET returned (a read-modify-write client): ignored when they are this lane's. */
const laneRules = { readOnlyFields: new Set(['sessionId', 'variantId', 'key']) };

/** A variant's waveform (§6) and the lanes of timestamped notes drawn on it. */
export function waveformRoutes(services: Services) {
  /** The waveform of a variant's file; what it shows about the file (gone, undecodable, fine again) is recorded on the variant. */
  const waveformOf = async (session: SessionState, variant: VariantState, points: number): Promise<Waveform> => {
    const record = (outcome: { failed: string } | { analysed: Pick<Waveform, 'durationMs' | 'sampleRate' | 'channels'> }) =>
      services.previewAnalysis.record(session.id, { variantId: variant.id, path: variant.path, ...outcome });
    try {
      const waveform = await services.waveforms.waveform(variant.path, points);
      if (variant.status !== 'ready') await record({ analysed: { durationMs: waveform.durationMs, sampleRate: waveform.sampleRate, channels: waveform.channels } });
      return waveform;
    } catch (error) {
      if (isAudioError(error)) await record({ failed: error.message });
      if (error instanceof AnalysisUnavailableError) throw new ApiError('overloaded', `The waveform cannot be computed now: ${error.message}.`, undefined, { 'Retry-After': '1' });
      throw error;
    }
  };

  const notesView = (session: SessionState, lane: string) => ({
    data: { sessionId: session.id, variantId: lane, key: `${session.id}:${lane}`, notes: services.waveformNotes.notes(session.id, lane) },
  });
  /** The lane a write names, as its GET renders it (without the notes, which the body replaces). */
  const currentLane = (session: SessionState, ctx: Context) => {
    const lane = requestedLane(session, ctx);
    return { sessionId: session.id, variantId: lane, key: `${session.id}:${lane}` };
  };

  const replaceNotes = (method: 'PUT' | 'PATCH') =>
    defineRoute<ReplaceWaveformNotesBody>({
      method,
      path: '/api/v1/sessions/:id/waveform-notes',
      mode: 'full-automation',
      operationId: method === 'PUT' ? 'replaceSessionWaveformNotes' : 'patchSessionWaveformNotes',
      tag: 'previews',
      summary: "Replace a variant's lane of waveform notes",
      query: variantParameter,
      headers: ifMatchHeader,
      responses: { 200: { description: 'The lane', schema: dataOf(waveformNotesSchema), example: examples.waveformNotes, headers: sessionEtag } },
      errors: mergeErrorDocs(sessionWriteErrors, { not_found: ['preview variant not found'] }),
      body: {
        schema: replaceWaveformNotesBodySchema,
        rules: laneRules,
        example: examples.waveformNotesBody,
        echoes: { fields: laneRules.readOnlyFields, current: (ctx) => currentLane(liveSession(services, ctx), ctx) },
      },
      async handle(ctx, body) {
        let lane = '';
        const session = await writeSession(services, ctx, (state) => {
          lane = requestedLane(state, ctx);
          const current = services.waveformNotes.notes(state.id, lane);
          return decideReplaceWaveformNotes({ lane, current, body, at: wholeSecondsOf(services.now()), newNoteId });
        });
        sendJson(ctx, notesView(session!, lane));
      },
    });

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id/waveform',
      mode: 'read-only',
      operationId: 'getSessionWaveform',
      tag: 'previews',
      summary: "A preview variant's waveform: the peak of each of `points` buckets",
      query: { ...variantParameter, points: { description: 'Buckets, 16-10,000; default 1000.', schema: { type: 'integer', minimum: 16, maximum: 10000 } } },
      responses: { 200: { description: 'The waveform', schema: dataOf(waveformSchema), example: examples.waveform } },
      errors: mergeErrorDocs(sessionNotFound, variantNotFound, previewFileErrors, {
        invalid_query: ['points must be a whole number from 16 to 10000.'],
        overloaded: ['The waveform cannot be computed now: {reason}.'],
      }),
      async handle(ctx) {
        const points = wholeNumber(ctx, 'points', MIN_POINTS, MAX_POINTS) ?? DEFAULT_POINTS;
        const session = readSession(services, ctx);
        const variant = requestedVariant(session, ctx);
        const waveform = await waveformOf(session, variant, points);
        sendJson(ctx, { data: { sessionId: session.id, variantId: variant.id, ...waveform } });
      },
    }),

    defineRoute({
      method: 'GET',
      path: '/api/v1/sessions/:id/waveform-notes',
      mode: 'read-only',
      operationId: 'getSessionWaveformNotes',
      tag: 'previews',
      summary: "A variant's lane of waveform notes",
      query: variantParameter,
      responses: { 200: { description: 'The lane', schema: dataOf(waveformNotesSchema), example: examples.waveformNotes, headers: sessionEtag } },
      errors: mergeErrorDocs(sessionNotFound, { not_found: ['preview variant not found'] }),
      async handle(ctx) {
        const session = readSession(services, ctx);
        sendJson(ctx, notesView(session, requestedLane(session, ctx)));
      },
    }),
    replaceNotes('PUT'),
    replaceNotes('PATCH'),
  ];
}
