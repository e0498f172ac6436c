import type { FromSchema } from 'json-schema-to-ts';
import { MAX_WAVEFORM_NOTES, waveformNoteSchema } from '../src/schemas/waveform-notes';

/** A lane of waveform notes replaced whole; `lane` is the variant id, or `main` for a session without previews. */
export const WaveformNotesReplaced = {
  type: 'WaveformNotesReplaced',
  schemaVersion: 1,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['lane', 'notes'],
    properties: {
      lane: { type: 'string', minLength: 1, maxLength: 64 },
      notes: { type: 'array', maxItems: MAX_WAVEFORM_NOTES, items: waveformNoteSchema },
    },
  },
} as const;

export type WaveformNotesReplacedData = FromSchema<typeof WaveformNotesReplaced.schema>;
