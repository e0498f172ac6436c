import type { FromSchema } from 'json-schema-to-ts';
import type { healthSchema, tagCountSchema, waveformSchema } from '../schemas/responses';
import type { importStatusSchema, importSummarySchema } from '../schemas/import';

/* The API's shapes, taken from the schemas the server validates and documents with. */
export type { Session } from '../schemas/session';
export type { Preview, PreviewVariant } from '../schemas/preview';
export type { WaveformNote } from '../schemas/waveform-notes';
export type Health = FromSchema<typeof healthSchema>;
export type TagCount = FromSchema<typeof tagCountSchema>;
export type Waveform = FromSchema<typeof waveformSchema>;
/** An event as the audit routes and the live stream send it. */
export type { StoredEvent as ApiEvent } from '../../events/envelope';
export type ImportSummary = FromSchema<typeof importSummarySchema>;
export type ImportStatus = FromSchema<typeof importStatusSchema>;

export interface WaveformNotesLane {
  sessionId: string;
  variantId: string;
  key: string;
  notes: Array<{ id: string; timestamp: number; text: string; createdAt: string; updatedAt: string }>;
}
