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

/** How many sessions' JSON texts a route keeps: a few pages' worth, whatever is listed. */
const JSON_CACHE_SIZE = 2000;

/**
 * Each session's Session resource as JSON text, kept while the session stays as it is: a list
 * page is then its items' texts joined, not 50 objects built and serialised on every request.
 * Keyed by the read model's state, which the fold replaces on every change, so a text can never
 * outlive the version it was made from; the oldest texts go first once the cache is full.
 */
export class SessionJsonCache {
  private readonly texts = new Map<SessionState, { baseUrl: string; json: string }>();

  of(state: SessionState, baseUrl: string): string {
    const cached = this.texts.get(state);
    if (cached?.baseUrl === baseUrl) return cached.json;
    const json = JSON.stringify(toSession(state, baseUrl));
    if (this.texts.size >= JSON_CACHE_SIZE) this.texts.delete(this.texts.keys().next().value!);
    this.texts.set(state, { baseUrl, json });
    return json;
  }
}
