import type { Waveform } from './analyse';
import type { AudioErrorCode } from './errors';
import type { FileIdentity } from './audio-file';

/** What the server asks an analysis worker: the waveform of the file at `path`. */
export interface AnalysisRequest {
  id: number;
  path: string;
  points: number;
  /** What the server's thread refuses to open (its data directories): a worker opens nothing in them either. */
  protectedDirectories: string[];
}

/** The worker's answer: the waveform and the identity of the file it read, or the error (with its audio code, if any). */
export type AnalysisReply =
  | { id: number; waveform: Waveform; identity: FileIdentity }
  | { id: number; error: { code?: AudioErrorCode; message: string } };
