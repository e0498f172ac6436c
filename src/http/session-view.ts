import type { SessionState } from '../../projections/session-state';
import type { Session } from '../schemas/session';

/**
 * The Session resource: the read model's state plus the URLs and preview fields of contract §5.1
 * and §6. Written out field by field: on the hot path of every response, a literal of fixed shape
 * costs a fraction of a spread.
 */
export function toSession(state: SessionState, baseUrl: string): Session {
  return {
    id: state.id,
    title: state.title,
    kind: state.kind,
    status: state.status,
    accent: state.accent,
    tags: state.tags,
    notes: state.notes,
    client: state.client,
    projectPath: state.projectPath,
    projectOriginalPath: state.projectOriginalPath,
    lastOpened: state.lastOpened,
    previewStatus: 'none',
    previewUrl: `${baseUrl}/sessions/${state.id}/preview`,
    previewAudioUrl: null,
    previewAudioMime: null,
    preferredPreviewId: null,
    previews: [],
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    version: state.version,
  };
}

export const etagOf = (version: number) => `"${version}"`;
