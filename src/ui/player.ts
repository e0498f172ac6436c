import { signal } from '@preact/signals';
import type { Session } from './types';

/**
 * The list's preview player: one audio element for the whole app, streaming the preferred
 * variant from `previewAudioUrl` (the browser asks for byte ranges, so playback starts at once).
 */
const audio = new Audio();
audio.preload = 'none';

export const playing = signal<string | null>(null);

audio.addEventListener('pause', () => (playing.value = null));
audio.addEventListener('ended', () => (playing.value = null));
audio.addEventListener('error', () => (playing.value = null));

export function togglePreview(session: Session): void {
  if (playing.value === session.id) {
    audio.pause();
    return;
  }
  if (!session.previewAudioUrl || session.previewStatus === 'failed') return;
  audio.src = new URL(session.previewAudioUrl, location.origin).pathname + new URL(session.previewAudioUrl, location.origin).search;
  playing.value = session.id;
  void audio.play().catch(() => (playing.value = null));
}

export function stopPreview(): void {
  audio.pause();
}
