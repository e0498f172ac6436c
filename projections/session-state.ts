import type { StoredEvent } from '../events/envelope';
import type { SessionCreatedData } from '../events/sessions';
import type { Session } from '../src/schemas/session';

/** A session as the log makes it: what the read model stores, before HTTP adds its URLs and previews. */
export type SessionState = Omit<Session, 'previewStatus' | 'previewUrl' | 'previewAudioUrl' | 'previewAudioMime' | 'preferredPreviewId' | 'previews'>;

/** The pure fold of one session's stream: (session so far, next event) → session. */
export function evolveSession(session: SessionState | undefined, event: StoredEvent): SessionState | undefined {
  switch (event.type) {
    case 'SessionCreated': {
      const data = event.data as unknown as SessionCreatedData;
      return {
        id: event.streamId,
        ...data,
        projectOriginalPath: data.projectPath,
        lastOpened: null,
        createdAt: event.meta.at,
        updatedAt: event.meta.at,
        version: event.version,
      };
    }
    default:
      return session;
  }
}
