import type { FromSchema } from 'json-schema-to-ts';
import { measuredIn } from './messages';
import { isoDate } from './session';

/** Waveform notes (contract §6): one lane of timestamped notes per session and variant. */
export const MAX_WAVEFORM_NOTES = 1000;

const noteText = { type: 'string', minLength: 1, maxLength: 2000 } as const;
const noteTimestamp = measuredIn('seconds', { type: 'number', minimum: 0, maximum: 86400 } as const);

/** A note as the server keeps and returns it. */
export const waveformNoteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'timestamp', 'text', 'createdAt', 'updatedAt'],
  properties: { id: { type: 'string', pattern: '^note_' }, timestamp: noteTimestamp, text: noteText, createdAt: isoDate, updatedAt: isoDate },
} as const;

export type WaveformNote = FromSchema<typeof waveformNoteSchema>;

/** PUT/PATCH body: the whole lane. `id` keeps a known note; `createdAt`/`updatedAt` are accepted and ignored. */
export const replaceWaveformNotesBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['notes'],
  properties: {
    notes: {
      type: 'array',
      maxItems: MAX_WAVEFORM_NOTES,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['timestamp', 'text'],
        properties: { id: { type: 'string', maxLength: 64 }, timestamp: noteTimestamp, text: noteText, createdAt: {}, updatedAt: {} },
      },
    },
  },
} as const;

export type ReplaceWaveformNotesBody = FromSchema<typeof replaceWaveformNotesBodySchema>;

export const waveformNotesSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sessionId', 'variantId', 'key', 'notes'],
  properties: { sessionId: { type: 'string' }, variantId: { type: 'string' }, key: { type: 'string' }, notes: { type: 'array', items: waveformNoteSchema } },
} as const;
