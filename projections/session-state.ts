import type { StoredEvent } from '../events/envelope';
import type { SessionCreatedData, SessionNotesReplacedData, SessionTagsReplacedData, SessionUpdatedData } from '../events/sessions';
import type { Session } from '../src/schemas/session';

/** A session as the log makes it: what the read model stores, before HTTP adds its URLs and previews. */
export type SessionState = Omit<Session, 'previewStatus' | 'previewUrl' | 'previewAudioUrl' | 'previewAudioMime' | 'preferredPreviewId' | 'previews'>;

/** The pure fold of one session's stream: (session so far, next event) → session, or undefined once deleted. */
export function evolveSession(session: SessionState | undefined, event: StoredEvent): SessionState | undefined {
  const at = event.meta.at;
  const version = event.version;
  if (event.type === 'SessionCreated') {
    const data = event.data as SessionCreatedData;
    return { id: event.streamId, ...data, projectOriginalPath: data.projectPath, lastOpened: null, createdAt: at, updatedAt: at, version };
  }
  if (!session) return undefined;
  switch (event.type) {
    case 'SessionUpdated': {
      const changes = event.data as SessionUpdatedData;
      // The first path ever recorded stays, whatever the project does later.
      const projectOriginalPath = session.projectOriginalPath ?? changes.projectPath ?? null;
      return { ...session, ...changes, projectOriginalPath, updatedAt: at, version };
    }
    case 'SessionNotesReplaced':
      return { ...session, notes: (event.data as SessionNotesReplacedData).notes, updatedAt: at, version };
    case 'SessionTagsReplaced':
      return { ...session, tags: (event.data as SessionTagsReplacedData).tags, updatedAt: at, version };
    case 'SessionOpened':
      return { ...session, lastOpened: at, version };
    case 'SessionDeleted':
      return undefined;
    default:
      return { ...session, version };
  }
}
