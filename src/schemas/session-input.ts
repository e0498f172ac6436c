import { ABSOLUTE_PATH, absolutePath, describedPattern, HEX_COLOUR, nullable, trimmedText, writableSessionFields } from './session';

/*
 * The session's writable fields as clients may send them (contract §5.1): what form-based and
 * scripting clients send for the canonical value. The commands turn each into the canonical form
 * (src/commands/normalise.ts) before deciding, so events and responses hold only that form.
 */

/**
 * A field a form left empty: "" or only white space. Each pattern below tries blank as an
 * alternative of its own: an optional part between two runs of white space would backtrack
 * quadratically over a long run of spaces.
 */
const BLANK = '\\s*';

/**
 * A slug as a person may type it: letters and digits in any case, words joined by single dashes,
 * spaces or underscores (`In Progress`, `in_progress`); 1-`max` characters once trimmed, or blank.
 */
function formSlug(max: number) {
  const pattern = describedPattern(
    `^(?:${BLANK}|${BLANK}(?=[A-Za-z0-9 _-]{0,${max - 1}}[A-Za-z0-9]\\s*$)[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*${BLANK})$`,
    `must be a slug of 1-${max} letters, digits and single dashes (a space or an underscore counts as a dash)`,
  );
  return { type: 'string', pattern } as const;
}

/** Text the server trims, at most `max` characters without the white space at either end, or blank. */
function formText(max: number) {
  const pattern = describedPattern(`^(?:${BLANK}|${BLANK}\\S(?:[\\s\\S]{0,${max - 2}}\\S)?${BLANK})$`, `must be at most ${max} characters, not counting white space at either end`);
  return { type: 'string', pattern } as const;
}

/** Anchored, so it is not the preview name's `\S`, which is told something else. */
const NOT_BLANK = describedPattern('^\\s*\\S', 'cannot be empty: leave it out to keep the current value');

/** On PATCH a blank kind, status or accent is refused: there is no default to fall back to. */
const notBlank = <const S extends object>(schema: S) => ({ allOf: [{ type: 'string', pattern: NOT_BLANK }, schema] }) as const;

const NO_COMMA = describedPattern('^[^,]*$', 'cannot contain a comma: the tags filter splits on commas');

/** Only ever inside nullable(): the message names all three ways to say "no project". */
const BLANK_OR_ABSOLUTE_PATH = describedPattern(`^(?:${BLANK}$|${ABSOLUTE_PATH.slice(1)})`, 'must be an absolute path (or "" or null for none)');

const accent = { anyOf: [formSlug(32), { type: 'string', pattern: HEX_COLOUR }] } as const;

/** A tag: trimmed 1-48 characters, no comma (tags stored before the rule still load: the events' schema has none). */
const tag = { allOf: [{ type: 'string', pattern: NO_COMMA }, trimmedText(48)] } as const;
export const tagsInput = { ...writableSessionFields.tags, items: tag } as const;

/** Create: blank `kind`, `status` and `accent` are not given (the default applies); blank `client`/`projectPath` are null; `notes: null` is "". */
export const sessionCreateFields = {
  title: writableSessionFields.title,
  kind: formText(64),
  status: formSlug(32),
  accent,
  tags: tagsInput,
  notes: nullable(writableSessionFields.notes),
  client: writableSessionFields.client,
  projectPath: nullable({ ...absolutePath, pattern: BLANK_OR_ABSOLUTE_PATH }),
} as const;

/** PATCH: the same forms, but a blank `kind`, `status` or `accent` is refused; `null` resets `notes` and `tags`. */
export const sessionUpdateFields = {
  ...sessionCreateFields,
  kind: notBlank(sessionCreateFields.kind),
  status: notBlank(sessionCreateFields.status),
  accent: notBlank(accent),
  tags: nullable(tagsInput),
} as const;
