/** Tags trimmed and de-duplicated case-insensitively, the first spelling kept. */
export function normaliseTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim();
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(tag);
  }
  return kept;
}

/** Field values as a session holds them: strings, null, or lists of strings compared item by item. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((value, index) => value === b[index]);
  return a === b;
}

/** A form's empty field: "" or only white space. */
export const isBlank = (text: string): boolean => text.trim() === '';

/** A value a client gave, blank counting as not given. */
export const given = (text: string | undefined): text is string => text !== undefined && !isBlank(text);

/** A nullable text field as stored: blank is null. */
export const blankAsNull = (text: string | null): string | null => (text === null || isBlank(text) ? null : text);

/** A slug as stored (`In Progress`, `in_progress` → `in-progress`); the schema has checked its form. */
export const canonicalSlug = (text: string): string => text.trim().toLowerCase().replace(/[ _]/g, '-');

/** An accent as stored: a slug canonical, a #rrggbb colour as sent. */
export const canonicalAccent = (text: string): string => (text.startsWith('#') ? text : canonicalSlug(text));
