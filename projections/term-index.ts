import { PostingList } from './posting-list';

/** How an index names sessions internally: small integers, so that its lists are typed arrays. */
export interface Slots {
  slotOf(id: string): number;
  idAt(slot: number): string;
}

/**
 * Which sessions hold which words, for `q`. A term made of letters and digits only occurs in a
 * search text exactly when it occurs inside one of the text's runs of letters and digits: the
 * index maps each run (token) to its sessions' slots, and each token's trigrams to the tokens, so
 * the tokens that contain such a term are found without scanning every session. Terms with other
 * characters are not indexed: the caller tests them on its candidates.
 */
export class TermIndex {
  private readonly sessionsByToken = new Map<string, PostingList>();
  private readonly tokensByTrigram = new Map<string, Set<string>>();
  /** Terms already looked up, with their tokens' lists: valid until a token comes or goes. */
  private readonly listsByTerm = new Map<string, PostingList[]>();
  private isBuilt = false;

  /**
   * `all`: every session's id and text, to build the index from the first time a term is asked
   * for; until then updates cost nothing (a start-up replay does not pay for the index).
   * `slots`: the owner's numbering of its sessions, so its queries read these lists directly.
   */
  constructor(
    private readonly all: () => Iterable<[string, string]>,
    private readonly slots: Slots = new OwnSlots(),
  ) {}

  /** Whether updates are being followed: until then the caller need not work out texts for them. */
  get built(): boolean {
    return this.isBuilt;
  }

  /** Moves a session from the tokens of its old text to those of its new one (either may be absent). */
  update(id: string, before: string | undefined, after: string | undefined): void {
    if (this.isBuilt) this.move(this.slots.slotOf(id), before, after);
  }

  private move(slot: number, before: string | undefined, after: string | undefined): void {
    const oldTokens = tokensOf(before);
    const newTokens = tokensOf(after);
    for (const token of oldTokens) {
      if (newTokens.has(token)) continue;
      const slots = this.sessionsByToken.get(token)!;
      slots.delete(slot);
      if (slots.size === 0) this.forget(token);
    }
    for (const token of newTokens) {
      if (oldTokens.has(token)) continue;
      let slots = this.sessionsByToken.get(token);
      if (!slots) {
        slots = new PostingList();
        this.sessionsByToken.set(token, slots);
        this.listsByTerm.clear();
        for (const trigram of trigramsOf(token)) setIn(this.tokensByTrigram, trigram).add(token);
      }
      slots.add(slot);
    }
  }

  /**
   * The slots of the sessions whose text contains `term`, as lists to be united (a session may be
   * in several), or undefined when together they hold more than `budget` (the caller then tests
   * its own, smaller candidates instead) or the term is not a word.
   */
  postingsContaining(term: string, budget: number): PostingList[] | undefined {
    if (!WORD.test(term)) return undefined;
    if (!this.isBuilt) {
      for (const [id, text] of this.all()) this.move(this.slots.slotOf(id), undefined, text);
      this.isBuilt = true;
    }
    const lists = this.listsContaining(term);
    if (lists.length === 1) return lists;
    let size = 0;
    for (const list of lists) {
      size += list.size;
      if (size > budget) return undefined;
    }
    return lists;
  }

  /** The same as a set of session ids. */
  sessionsContaining(term: string, budget: number): ReadonlySet<string> | undefined {
    const lists = this.postingsContaining(term, budget);
    if (!lists) return undefined;
    const ids = new Set<string>();
    for (const list of lists) for (const slot of list.matching([])) ids.add(this.slots.idAt(slot));
    return ids;
  }

  private listsContaining(term: string): PostingList[] {
    let lists = this.listsByTerm.get(term);
    if (!lists) {
      if (this.listsByTerm.size >= TERM_CACHE_SIZE) this.listsByTerm.clear();
      lists = this.tokensContaining(term).map((token) => this.sessionsByToken.get(token)!);
      this.listsByTerm.set(term, lists);
    }
    return lists;
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
    this.listsByTerm.clear();
    for (const trigram of trigramsOf(token)) {
      const tokens = this.tokensByTrigram.get(trigram)!;
      tokens.delete(token);
      if (tokens.size === 0) this.tokensByTrigram.delete(trigram);
    }
  }
}

/** Numbers handed out in order of first sight, for an index used on its own. */
class OwnSlots implements Slots {
  private readonly numbers = new Map<string, number>();
  private readonly ids: string[] = [];

  slotOf(id: string): number {
    let slot = this.numbers.get(id);
    if (slot === undefined) {
      slot = this.ids.push(id) - 1;
      this.numbers.set(id, slot);
    }
    return slot;
  }

  idAt(slot: number): string {
    return this.ids[slot];
  }
}

const TERM_CACHE_SIZE = 1000;
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
