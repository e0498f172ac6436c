import type { FromSchema } from 'json-schema-to-ts';
import type { NewEvent } from '../../events/envelope';
import { PreviewAttached } from '../../events/previews';
import type { SessionState } from '../../projections/session-state';
import { ApiError } from '../errors';
import { previewVariantId } from '../schemas/preview';
import { absolutePath, describedPattern } from '../schemas/session';

/** Somewhere in it, a character other than white space. */
const VISIBLE = describedPattern('\\S', 'must hold a character other than white space');

/** POST /sessions/{id}/previews: an absolute path to a readable audio file, an optional name and id. */
export const attachPreviewBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: absolutePath,
    name: { type: 'string', pattern: VISIBLE, maxLength: 200 },
    id: previewVariantId,
  },
} as const;

export type AttachPreviewBody = FromSchema<typeof attachPreviewBodySchema>;

export interface AttachPreview extends AttachPreviewBody {
  /** The media type sniffed from the file's header before deciding (reading it is I/O). */
  mime: string;
}

const MAX_ID = 64;

/** Names and titles are at most this long (§5.1). */
const MAX_NAME = 200;

/** The file's name without its folders and extension, cut to 200 characters: the default variant name and imported title. */
export const fileTitle = (path: string) => path.split(/[\\/]/).pop()!.replace(/\.[^.]+$/, '').slice(0, MAX_NAME).trim() || 'Untitled';

/** `preview_` and a slug of the name, numbered when the session already has it. */
export function defaultVariantId(taken: ReadonlySet<string>, name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const base = `preview_${slug || 'audio'}`.slice(0, MAX_ID - 4).replace(/-+$/, '');
  if (!taken.has(base)) return base;
  for (let suffix = 2; ; suffix += 1) if (!taken.has(`${base}-${suffix}`)) return `${base}-${suffix}`;
}

/** A new variant; an id the session already uses is a conflict (§10). */
export function decideAttachPreview(state: SessionState, command: AttachPreview): NewEvent[] {
  const name = command.name?.trim() ?? fileTitle(command.path);
  if (command.id !== undefined && state.previews.some((variant) => variant.id === command.id)) {
    throw new ApiError('conflict', `The session already has a preview variant ${JSON.stringify(command.id)}.`);
  }
  const variantId = command.id ?? defaultVariantId(new Set(state.previews.map((variant) => variant.id)), name);
  return [{ type: PreviewAttached.type, data: { variantId, name, path: command.path, mime: command.mime } }];
}
