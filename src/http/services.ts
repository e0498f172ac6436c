import type { IdempotencyProjection } from '../../projections/idempotency';
import type { SessionsProjection } from '../../projections/sessions';
import type { ProjectionRunner } from '../../projections/runner';
import type { WaveformNotesProjection } from '../../projections/waveform-notes';
import type { Waveforms } from '../audio/waveforms';
import type { PreviewAnalysis } from '../preview-analysis';
import type { ImportsProjection } from '../../projections/imports';
import type { ImportRunner } from '../import/runner';
import type { ModeState } from '../modes';
import type { EventStore } from '../store';
import type { KeyedQueue } from '../keyed-queue';
import type { RequestLog } from './request-log';
import type { StreamClients } from './stream-clients';
import type { Logger } from '../log';
import type { SignIn } from './sign-in';

/** What the routes stand on: the log to write to, the read models to answer from, and the server's state. */
export interface Services {
  store: EventStore;
  projections: ProjectionRunner;
  sessions: SessionsProjection;
  idempotency: IdempotencyProjection;
  waveformNotes: WaveformNotesProjection;
  /** Waveforms of preview files, cached on disk. */
  waveforms: Waveforms;
  previewAnalysis: PreviewAnalysis;
  imports: ImportsProjection;
  importRunner: ImportRunner;
  /** Requests sharing an Idempotency-Key run one at a time. */
  keyedRequests: KeyedQueue;
  /** Commands on one session run one after another. */
  sessionCommands: KeyedQueue;
  modes: ModeState;
  /** What `recent=true` means, in days. */
  recentDays: number;
  /** The configured opener (null: the platform's), looked up when a session is opened. */
  opener: string | null;
  streamClients: StreamClients;
  /** The web app's sign-in: login links (focus starts the app with one) and the cookie's credentials. */
  signIn: SignIn;
  /** Operational lines: why a path was refused, which no response says. */
  logger: Logger;
  requests: RequestLog;
  version: string;
  port(): number;
  /** http://127.0.0.1:<port> */
  origin(): string;
  now(): Date;
}

export const apiBase = (services: Services) => `${services.origin()}/api/v1`;
