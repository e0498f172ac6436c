import type { StoredEvent } from '../events/envelope';
import type { SessionCreatedData, SessionNotesReplacedData, SessionTagsReplacedData, SessionUpdatedData } from '../events/sessions';
import type { Session } from '../src/schemas/session';

/** A session as the log makes it: what the read model stores, before HTTP adds its URLs and previews. */
export type SessionState = Omit<Session, 'previewStatus' | 'previewUrl' | 'previewAudioUrl' | 'previewAudioMime' | 'preferredPreviewId' | 'previews'>;

const pick = <T>(change: T | undefined, current: T): T => (change === undefined ? current : change);

/**
 * The session with `changes` applied, built field by field: every state then has one shape, which
 * keeps property reads fast in the indexes and queries (spreads leave objects of many shapes).
 */
function patched(session: SessionState, changes: Partial<SessionState>): SessionState {
  return {
    id: session.id,
    title: pick(changes.title, session.title),
    kind: pick(changes.kind, session.kind),
    status: pick(changes.status, session.status),
    accent: pick(changes.accent, session.accent),
    tags: pick(changes.tags, session.tags),
    notes: pick(changes.notes, session.notes),
    client: pick(changes.client, session.client),
    projectPath: pick(changes.projectPath, session.projectPath),
    projectOriginalPath: pick(changes.projectOriginalPath, session.projectOriginalPath),
    lastOpened: pick(changes.lastOpened, session.lastOpened),
    createdAt: session.createdAt,
    updatedAt: pick(changes.updatedAt, session.updatedAt),
    version: pick(changes.version, session.version),
  };
}

/** The pure fold of one session's stream: (session so far, next event) → session, or undefined once deleted. */
export function evolveSession(session: SessionState | undefined, event: StoredEvent): SessionState | undefined {
  const at = event.meta.at;
  const version = event.version;
  if (event.type === 'SessionCreated') {
    const data = event.data as SessionCreatedData;
    return {
      id: event.streamId,
      title: data.title,
      kind: data.kind,
      status: data.status,
      accent: data.accent,
      tags: data.tags,
      notes: data.notes,
      client: data.client,
      projectPath: data.projectPath,
      projectOriginalPath: data.projectPath,
      lastOpened: null,
      createdAt: at,
      updatedAt: at,
      version,
    };
  }
  if (!session) return undefined;
  switch (event.type) {
    case 'SessionUpdated': {
      const changes = event.data as SessionUpdatedData;
      // The first path ever recorded stays, whatever the project does later.
      const projectOriginalPath = session.projectOriginalPath ?? changes.projectPath ?? null;
      return patched(session, { ...changes, projectOriginalPath, updatedAt: at, version });
    }
    case 'SessionNotesReplaced':
      return patched(session, { notes: (event.data as SessionNotesReplacedData).notes, updatedAt: at, version });
    case 'SessionTagsReplaced':
      return patched(session, { tags: (event.data as SessionTagsReplacedData).tags, updatedAt: at, version });
    case 'SessionOpened':
      return patched(session, { lastOpened: at, version });
    case 'SessionDeleted':
      return undefined;
    default:
      return patched(session, { version });
  }
}
