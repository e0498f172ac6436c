/**
 * Which sessions hold which words, for `q`. A term made of letters and digits only occurs in a
 * search text exactly when it occurs inside one of the text's runs of letters and digits: the
 * index maps each run (token) to its sessions, and each token's trigrams to the tokens, so the
 * tokens that contain such a term are found without scanning every session. Terms with other
 * characters are not indexed: the caller tests them on its candidates.
 */
export class TermIndex {
  private readonly sessionsByToken = new Map<string, Set<string>>();
  private readonly tokensByTrigram = new Map<string, Set<string>>();
  private built = false;

  /**
   * `all`: every session's id and text, to build the index from the first time a term is asked
   * for; until then updates cost nothing (a start-up replay does not pay for the index).
   */
  constructor(private readonly all: () => Iterable<[string, string]>) {}

  /** Moves a session from the tokens of its old text to those of its new one (either may be absent). */
  update(id: string, before: string | undefined, after: string | undefined): void {
    if (this.built) this.move(id, before, after);
  }

  private move(id: string, before: string | undefined, after: string | undefined): void {
    const oldTokens = tokensOf(before);
    const newTokens = tokensOf(after);
    for (const token of oldTokens) {
      if (newTokens.has(token)) continue;
      const ids = this.sessionsByToken.get(token)!;
      ids.delete(id);
      if (ids.size === 0) this.forget(token);
    }
    for (const token of newTokens) {
      if (oldTokens.has(token)) continue;
      let ids = this.sessionsByToken.get(token);
      if (!ids) {
        ids = new Set();
        this.sessionsByToken.set(token, ids);
        for (const trigram of trigramsOf(token)) setIn(this.tokensByTrigram, trigram).add(token);
      }
      ids.add(id);
    }
  }

  /**
   * The sessions whose text contains `term`, or undefined when they would be more than `budget`
   * (the caller then tests its own, smaller candidates instead).
   */
  sessionsContaining(term: string, budget: number): ReadonlySet<string> | undefined {
    if (!WORD.test(term)) return undefined;
    if (!this.built) {
      for (const [id, text] of this.all()) this.move(id, undefined, text);
      this.built = true;
    }
    const tokens = this.tokensContaining(term);
    if (tokens.length === 1) return this.sessionsByToken.get(tokens[0])!;
    let size = 0;
    for (const token of tokens) {
      size += this.sessionsByToken.get(token)!.size;
      if (size > budget) return undefined;
    }
    const ids = new Set<string>();
    for (const token of tokens) for (const id of this.sessionsByToken.get(token)!) ids.add(id);
    return ids;
  }

  private tokensContaining(term: string): string[] {
    const trigrams = trigramsOf(term);
    if (trigrams.length === 0) return [...this.sessionsByToken.keys()].filter((token) => token.includes(term));
    const sets = trigrams.map((trigram) => this.tokensByTrigram.get(trigram) ?? new Set<string>()).sort((a, b) => a.size - b.size);
    const [smallest, ...others] = sets;
    return [...smallest].filter((token) => others.every((set) => set.has(token)) && token.includes(term));
  }

  private forget(token: string): void {
    this.sessionsByToken.delete(token);
    for (const trigram of trigramsOf(token)) {
      const tokens = this.tokensByTrigram.get(trigram)!;
      tokens.delete(token);
      if (tokens.size === 0) this.tokensByTrigram.delete(trigram);
    }
  }
}

const WORD = /^[\p{L}\p{N}]+$/u;
const TOKEN = /[\p{L}\p{N}]+/gu;

const tokensOf = (text: string | undefined): Set<string> => new Set(text ? text.match(TOKEN) : []);

function trigramsOf(text: string): string[] {
  const trigrams = new Set<string>();
  for (let index = 0; index + 3 <= text.length; index += 1) trigrams.add(text.slice(index, index + 3));
  return [...trigrams];
}

function setIn(map: Map<string, Set<string>>, key: string): Set<string> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}
