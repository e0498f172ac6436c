import { signal } from '@preact/signals';
import { apiUrl } from './api';
import type { ApiEvent } from './types';

/*
 * The app follows the live stream (contract §10): every committed event, and focus notices. The
 * browser's EventSource resumes with Last-Event-ID after a drop; when it gives up (the server
 * answered an error, e.g. while it restarts), the app opens a new one after the last position it saw.
 */

export const LOG_EVENT_TYPES = [
  'SessionCreated',
  'SessionUpdated',
  'SessionDeleted',
  'SessionNotesReplaced',
  'SessionTagsReplaced',
  'SessionOpened',
  'PreviewAttached',
  'PreviewDetached',
  'PreferredPreviewChosen',
  'PreviewAnalysed',
  'PreviewFailed',
  'WaveformNotesReplaced',
  'ImportRequested',
  'ImportItemProcessed',
  'ImportFinished',
] as const;

export const FOCUS_NOTICE = 'SessionFocusRequested';

export type LiveState = 'connecting' | 'live' | 'reconnecting';
export const liveState = signal<LiveState>('connecting');

export interface LiveHandlers {
  event(event: ApiEvent): void;
  focus(sessionId: string): void;
  /**
   * The stream is open (at first, and again after a break): what the app shows may have missed
   * changes made before it was (a first stream starts at the head, after the first pages were read).
   */
  connected(): void;
}

const MAX_BACKOFF_MS = 10_000;

export function follow(handlers: LiveHandlers): () => void {
  let source: EventSource | null = null;
  let lastPosition: number | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;

  const open = () => {
    source = new EventSource(apiUrl('/events/stream', lastPosition === null ? {} : { after: lastPosition }));
    source.addEventListener('open', () => {
      failures = 0;
      liveState.value = 'live';
      handlers.connected();
    });
    for (const type of LOG_EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        const event = parse<ApiEvent>(message);
        if (event === null) return;
        lastPosition = event.position;
        handlers.event(event);
      });
    }
    source.addEventListener(FOCUS_NOTICE, (message) => {
      const notice = parse<{ sessionId?: unknown }>(message);
      if (typeof notice?.sessionId === 'string') handlers.focus(notice.sessionId);
    });
    source.addEventListener('error', () => {
      if (stopped) return;
      liveState.value = 'reconnecting';
      if (source?.readyState !== EventSource.CLOSED) return;
      // The browser gave up on this one: a new one, later, after the last event seen.
      failures += 1;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(open, Math.min(500 * 2 ** Math.min(failures, 5), MAX_BACKOFF_MS));
    });
  };

  open();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    source?.close();
  };
}

function parse<T>(message: Event): T | null {
  try {
    return JSON.parse((message as MessageEvent<string>).data) as T;
  } catch {
    return null;
  }
}
