/** Case- and accent-insensitive form of a text: decomposed, marks dropped, lower case. */
export function foldText(text: string): string {
  // ASCII has no marks to drop: lower case is all it needs, and most text is ASCII.
  if (ASCII.test(text)) return text.toLowerCase();
  return text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * What `q` searches: title, client, notes and tags, folded, one per line. A term (never holding
 * white space) is found in the text exactly when it is found in one of the fields.
 */
export function searchTextOf(session: { title: string; client: string | null; notes: string; tags: readonly string[] }): string {
  const text = [session.title, session.client ?? '', session.notes, ...session.tags].join('\n');
  return ASCII.test(text) ? text.toLowerCase() : compact(foldText(text));
}

/**
 * The same text in V8's one-byte form when every character fits in Latin-1: normalize() leaves
 * a two-byte string behind, twice the memory and slower to search, for every text it has touched.
 */
function compact(text: string): string {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) > 0xff) return text;
  return Buffer.from(text, 'latin1').toString('latin1');
}
