import type { SessionState } from '../../projections/session-state';
import type { Session } from '../schemas/session';

/** The Session resource: the read model's state plus the URLs and preview fields of contract §5.1, §6. */
export function toSession(state: SessionState, baseUrl: string): Session {
  return {
    ...state,
    previewStatus: 'none',
    previewUrl: `${baseUrl}/sessions/${state.id}/preview`,
    previewAudioUrl: null,
    previewAudioMime: null,
    preferredPreviewId: null,
    previews: [],
  };
}

export const etagOf = (version: number) => `"${version}"`;
