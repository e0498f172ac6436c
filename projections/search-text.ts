/** Case- and accent-insensitive form of a text: decomposed, marks dropped, lower case. */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase();
}

/**
 * What `q` searches: title, client, notes and tags, folded, one per line. A term (never holding
 * white space) is found in the text exactly when it is found in one of the fields.
 */
export function searchTextOf(session: { title: string; client: string | null; notes: string; tags: readonly string[] }): string {
  return foldText([session.title, session.client ?? '', session.notes, ...session.tags].join('\n'));
}
