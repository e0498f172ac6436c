import { computed, signal } from '@preact/signals';
import { ApiFailure, get, onFailure } from './api';
import type { Health } from './types';

/** What the server allows now (contract §3), read from /health and after any refusal that says the mode changed. */
export const health = signal<Health | null>(null);
/** False once the API answered 401: the person must sign in again (a rotated token revokes the cookie). */
export const signedIn = signal(true);
export const unreachable = signal(false);

export const writable = computed(() => health.value?.effectiveMode === 'full-automation');

/** Why writes are off, in the contract's words, or null when they are on. */
export const writesOffReason = computed(() => {
  const mode = health.value?.effectiveMode;
  if (mode === undefined || mode === 'full-automation') return null;
  const cause = health.value?.lastError ? ` (${health.value.lastError})` : '';
  return mode === 'disabled' ? `The Local API is disabled.${cause}` : `The server is read-only: enable Full Automation to make changes.${cause}`;
});

const HEALTH_EVERY_MS = 15_000;

export async function readHealth(): Promise<void> {
  try {
    const answer = await get<Health>('/health');
    health.value = answer.data;
    signedIn.value = true;
    unreachable.value = false;
  } catch {
    // The failure listener below has recorded what it means.
  }
}

export function watchHealth(): () => void {
  const stopListening = onFailure((failure: ApiFailure) => {
    if (failure.status === 401) signedIn.value = false;
    if (failure.code === 'unreachable') unreachable.value = true;
    if (failure.code === 'read_only' || failure.code === 'disabled') void readHealth();
  });
  void readHealth();
  const timer = setInterval(() => void readHealth(), HEALTH_EVERY_MS);
  return () => {
    clearInterval(timer);
    stopListening();
  };
}

/** A short message for the person after an action (an error in the contract's words, or a confirmation). */
export const notice = signal<{ text: string; error: boolean } | null>(null);
let noticeTimer: ReturnType<typeof setTimeout> | undefined;
export function tell(text: string, error = false): void {
  notice.value = { text, error };
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (notice.value = null), 6_000);
}
