import type { StoredEvent } from '../events/envelope';
import type { PreviewAnalysedData, PreviewAttachedData, PreviewFailedData, PreviewVariantData } from '../events/previews';
import type { SessionCreatedData, SessionNotesReplacedData, SessionTagsReplacedData, SessionUpdatedData } from '../events/sessions';
import type { PreviewVariant } from '../src/schemas/preview';
import type { Session } from '../src/schemas/session';
import { wholeSeconds } from './timestamps';

/** A preview variant as the log makes it: the public fields plus the media type sniffed when attached. */
export interface VariantState extends PreviewVariant {
  mime: string;
}

/** A session as the log makes it: what the read model stores, before HTTP adds its URLs and preview summary. */
export type SessionState = Omit<Session, 'previewStatus' | 'previewUrl' | 'previewAudioUrl' | 'previewAudioMime' | 'previews'> & {
  previews: readonly VariantState[];
};

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
    preferredPreviewId: pick(changes.preferredPreviewId, session.preferredPreviewId),
    previews: pick(changes.previews, session.previews),
    createdAt: session.createdAt,
    updatedAt: pick(changes.updatedAt, session.updatedAt),
    version: pick(changes.version, session.version),
  };
}

/** Analysis results say what a file is like, not what the user changed: they leave `updatedAt` alone. */
const withStatus = (previews: readonly VariantState[], variantId: string, status: VariantState['status']) =>
  previews.map((variant) => (variant.id === variantId ? { ...variant, status } : variant));

/**
 * The pure fold of one session's stream: (session so far, next event) → session, or undefined once
 * deleted. Its timestamps are the events' `meta.at` in whole seconds (./timestamps).
 */
export function evolveSession(session: SessionState | undefined, event: StoredEvent): SessionState | undefined {
  const at = wholeSeconds(event.meta.at);
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
      preferredPreviewId: null,
      previews: [],
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
    case 'PreviewAttached': {
      const { variantId, name, path, mime } = event.data as PreviewAttachedData;
      const previews = [...session.previews, { id: variantId, name, path, status: 'pending' as const, mime }];
      // The first variant of a session without a preferred one becomes preferred (§6).
      return patched(session, { previews, preferredPreviewId: session.preferredPreviewId ?? variantId, updatedAt: at, version });
    }
    case 'PreviewDetached': {
      const { variantId } = event.data as PreviewVariantData;
      const previews = session.previews.filter((variant) => variant.id !== variantId);
      // Detaching the preferred variant makes the oldest remaining one preferred (§6).
      const preferredPreviewId = session.preferredPreviewId === variantId ? (previews[0]?.id ?? null) : session.preferredPreviewId;
      return patched(session, { previews, preferredPreviewId, updatedAt: at, version });
    }
    case 'PreferredPreviewChosen':
      return patched(session, { preferredPreviewId: (event.data as PreviewVariantData).variantId, updatedAt: at, version });
    case 'PreviewAnalysed':
      return patched(session, { previews: withStatus(session.previews, (event.data as PreviewAnalysedData).variantId, 'ready'), version });
    case 'PreviewFailed':
      return patched(session, { previews: withStatus(session.previews, (event.data as PreviewFailedData).variantId, 'failed'), version });
    default:
      return patched(session, { version });
  }
}
