import type { FromSchema } from 'json-schema-to-ts';
import { previewFields, previewVariantId, previewVariantIdMessage } from './preview';

/**
 * The session's fields, written once (contract §5.1). The create command, the SessionCreated event
 * and the Session resource (and, later, the OpenAPI document) are all built from these.
 */
const SLUG = '^[a-z0-9]+(?:-[a-z0-9]+)*$';
export const HEX_COLOUR = '^#[0-9a-fA-F]{6}$';
export const ABSOLUTE_PATH = '^(?:/|[A-Za-z]:[\\\\/]|\\\\\\\\[^\\\\/]+[\\\\/])';

/**
 * What a client is told when a string does not match one of these patterns: the predicate of a
 * sentence whose subject is the field (src/schemas/messages.ts adds the length rule, if any).
 */
export const patternMessages: Record<string, string> = {
  [SLUG]: 'must be a lowercase slug (a-z, 0-9 and single dashes)',
  [HEX_COLOUR]: 'must be a #rrggbb colour',
  [ABSOLUTE_PATH]: 'must be an absolute path',
  [previewVariantId.pattern]: previewVariantIdMessage,
};

/**
 * `pattern`, told as `message`. A message belongs to the pattern's text, so two rules that share a
 * pattern must mean the same: a second meaning would silently replace the first.
 */
export function describedPattern<const P extends string>(pattern: P, message: string): P {
  const known = patternMessages[pattern];
  if (known !== undefined && known !== message) throw new Error(`the pattern ${pattern} is told both "${known}" and "${message}"`);
  patternMessages[pattern] = message;
  return pattern;
}

/**
 * Text the server trims: 1 to `max` characters once the white space at either end is gone. A
 * pattern rather than minLength/maxLength, which would count the spaces the server drops.
 */
export function trimmedText(max: number) {
  const pattern = describedPattern(`^\\s*\\S(?:[\\s\\S]{0,${max - 2}}\\S)?\\s*$`, `must be 1-${max} characters, not counting white space at either end`);
  return { type: 'string', pattern } as const;
}

const slug = (maxLength: number) => ({ type: 'string', pattern: SLUG, minLength: 1, maxLength }) as const;
export const nullable = <const S extends object>(schema: S) => ({ anyOf: [schema, { type: 'null' }] }) as const;
export const isoDate = { type: 'string', format: 'date-time' } as const;
export const absolutePath = {
  type: 'string',
  maxLength: 4096,
  // POSIX (/...), Windows drive (C:\ or C:/) or UNC (\\server\share).
  pattern: ABSOLUTE_PATH,
} as const;

/** Fields a client may write. */
export const writableSessionFields = {
  title: trimmedText(200),
  kind: trimmedText(64),
  status: slug(32),
  accent: { anyOf: [slug(32), { type: 'string', pattern: HEX_COLOUR }] },
  tags: {
    type: 'array',
    maxItems: 64,
    items: trimmedText(48),
  },
  notes: { type: 'string', maxLength: 20000 },
  client: nullable({ type: 'string', maxLength: 200 }),
  projectPath: nullable(absolutePath),
} as const;


/** Server-managed: an annotation for documents, and the reason a body that carries one is refused. */
const readOnly = <const S extends object>(schema: S) => ({ ...schema, readOnly: true }) as const;

/** Fields only the server sets; a body that carries one is told it is read-only. */
export const readOnlySessionFields = {
  id: readOnly({ type: 'string', pattern: '^session_[0-9A-HJKMNP-TV-Z]{26}$' }),
  projectOriginalPath: readOnly(nullable({ type: 'string' })),
  lastOpened: readOnly(nullable(isoDate)),
  previewStatus: readOnly(previewFields.previewStatus),
  previewUrl: readOnly(previewFields.previewUrl),
  previewAudioUrl: readOnly(previewFields.previewAudioUrl),
  previewAudioMime: readOnly(previewFields.previewAudioMime),
  preferredPreviewId: readOnly(previewFields.preferredPreviewId),
  previews: readOnly(previewFields.previews),
  createdAt: readOnly(isoDate),
  updatedAt: readOnly(isoDate),
  version: readOnly({ type: 'integer', minimum: 1 }),
} as const;

export const readOnlySessionFieldNames: ReadonlySet<string> = new Set(Object.keys(readOnlySessionFields));

/** Every property of an object schema, as its `required` list. */
export const requiredKeys = <const P extends object>(properties: P) => Object.keys(properties) as Array<keyof P & string>;

const sessionProperties = { ...writableSessionFields, ...readOnlySessionFields } as const;

/** The Session resource as every route returns it. */
export const sessionSchema = {
  type: 'object',
  additionalProperties: false,
  required: requiredKeys(sessionProperties),
  properties: sessionProperties,
} as const;

export type Session = FromSchema<typeof sessionSchema>;
