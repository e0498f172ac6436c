import type { FromSchema } from 'json-schema-to-ts';
import type { eventSchema, healthSchema, tagCountSchema, waveformSchema } from '../schemas/responses';
import type { importStatusSchema, importSummarySchema } from '../schemas/import';

/* The API's shapes, taken from the schemas the server validates and documents with. */
export type { Session } from '../schemas/session';
export type { Preview, PreviewVariant } from '../schemas/preview';
export type { WaveformNote } from '../schemas/waveform-notes';
export type Health = FromSchema<typeof healthSchema>;
export type TagCount = FromSchema<typeof tagCountSchema>;
export type Waveform = FromSchema<typeof waveformSchema>;
export type ApiEvent = FromSchema<typeof eventSchema>;
export type ImportSummary = FromSchema<typeof importSummarySchema>;
export type ImportStatus = FromSchema<typeof importStatusSchema>;

export interface WaveformNotesLane {
  sessionId: string;
  variantId: string;
  key: string;
  notes: Array<{ id: string; timestamp: number; text: string; createdAt: string; updatedAt: string }>;
}
