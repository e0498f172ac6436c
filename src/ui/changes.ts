import { signal } from '@preact/signals';
import { readHealth } from './app-state';
import { highlightedId, scrollRequest, selectedIndex } from './components/CardList';
import { follow } from './live';
import { go } from './router';
import { heldIndexOf, refresh } from './session-list';
import type { ApiEvent } from './types';

/*
 * What the live stream means for what the app shows: the cards are read again (at most every
 * REFRESH_EVERY_MS, however many events arrive), and the open session or import follows its own
 * stream's events.
 */

/** The last event of each kind of stream the app shows, for the views that follow one. */
export const lastSessionEvent = signal<ApiEvent | null>(null);
export const lastImportEvent = signal<ApiEvent | null>(null);
/** Bumped each time the stream (re)connects: views read their data again, since events may have been missed. */
export const lastConnected = signal(0);

const REFRESH_EVERY_MS = 250;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;

function refreshSoon(): void {
  if (refreshTimer !== undefined) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    refresh();
  }, REFRESH_EVERY_MS);
}

export function followChanges(): () => void {
  return follow({
    event(event) {
      if (event.type.startsWith('Import')) {
        lastImportEvent.value = event;
        if (event.type === 'ImportItemProcessed' || event.type === 'ImportFinished') refreshSoon();
        return;
      }
      lastSessionEvent.value = event;
      refreshSoon();
    },
    focus(sessionId) {
      highlightedId.value = sessionId;
      const index = heldIndexOf(sessionId);
      if (index >= 0) {
        selectedIndex.value = index;
        scrollRequest.value = index;
      }
      go({ page: 'session', id: sessionId });
      window.focus();
    },
    connected() {
      refresh();
      void readHealth();
      lastConnected.value += 1;
    },
  });
}
