import type { SessionState, VariantState } from '../../projections/session-state';
import type { Preview, PreviewVariant } from '../schemas/preview';
import type { Session } from '../schemas/session';

const publicVariant = (variant: VariantState): PreviewVariant => ({ id: variant.id, name: variant.name, path: variant.path, status: variant.status });

/** The variant routes use when no `variantId` is given. */
export const preferredVariant = (state: SessionState): VariantState | undefined =>
  state.previews.find((variant) => variant.id === state.preferredPreviewId);

/** A session's preview fields (§6): a summary of its variants, the preferred one first in mind. */
export function previewOf(state: SessionState, baseUrl: string): Preview {
  const sessionUrl = `${baseUrl}/sessions/${state.id}`;
  const preferred = preferredVariant(state);
  return {
    id: state.id,
    previewStatus: preferred?.status ?? 'none',
    previewUrl: `${sessionUrl}/preview`,
    previewAudioUrl: preferred ? `${sessionUrl}/preview/audio` : null,
    previewAudioMime: preferred?.mime ?? null,
    preferredPreviewId: state.preferredPreviewId,
    previews: state.previews.map(publicVariant),
  };
}

/**
 * The Session resource: the read model's state plus the URLs and preview fields of contract §5.1
 * and §6. Written out field by field: on the hot path of every response, a literal of fixed shape
 * costs a fraction of a spread.
 */
export function toSession(state: SessionState, baseUrl: string): Session {
  const preview = previewOf(state, baseUrl);
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
    previewStatus: preview.previewStatus,
    previewUrl: preview.previewUrl,
    previewAudioUrl: preview.previewAudioUrl,
    previewAudioMime: preview.previewAudioMime,
    preferredPreviewId: preview.preferredPreviewId,
    previews: preview.previews,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    version: state.version,
  };
}

export const etagOf = (version: number) => `"${version}"`;

/** How many sessions' JSON texts a route keeps, one per session: about 4 MB of text at most. */
export const JSON_CACHE_SIZE = 2000;

/**
 * Each session's Session resource as JSON text, kept while the session stays as it is: a list
 * page is then its items' texts joined, not 50 objects built and serialised on every request.
 * One entry per session, its text made again when the fold has replaced the session's state, so
 * a text never outlives the version it was made from. Keyed by the state itself, every change
 * left a stale entry behind until the oldest were dropped: under writes, texts of live sessions
 * were dropped and made again, and each one lived long enough for V8 to move it to the old
 * generation (in the soak, a third of all the memory promoted there).
 */
export class SessionJsonCache {
  private readonly texts = new Map<string, { state: SessionState; baseUrl: string; json: string }>();

  of(state: SessionState, baseUrl: string): string {
    const cached = this.texts.get(state.id);
    if (cached?.state === state && cached.baseUrl === baseUrl) return cached.json;
    const json = JSON.stringify(toSession(state, baseUrl));
    if (cached) {
      cached.state = state;
      cached.baseUrl = baseUrl;
      cached.json = json;
    } else {
      if (this.texts.size >= JSON_CACHE_SIZE) this.texts.delete(this.texts.keys().next().value!);
      this.texts.set(state.id, { state, baseUrl, json });
    }
    return json;
  }

  /** Sessions whose text is kept. */
  get size(): number {
    return this.texts.size;
  }
}
