import { PostingList } from './posting-list';

/** What the index is built from: the owner's sessions by slot (small integers), and their texts. */
export interface SlotTexts {
  /** Every slot in use is below this. */
  slotLimit(): number;
  /** The search text of the session in `slot`; undefined for a free slot. */
  textAt(slot: number): string | undefined;
  idAt(slot: number): string;
}

/**
 * Which sessions hold which words, for `q`. A term made of letters and digits only occurs in a
 * search text exactly when it occurs inside one of the text's runs of letters and digits (tokens).
 * A term of three characters or more: each token's trigrams map to the tokens holding them, so the
 * tokens containing the term are found among those of its rarest trigram, then their sessions
 * united. A term of one or two characters has no trigram: each 1- and 2-character gram of the
 * tokens maps to its sessions directly, one list whatever the number of tokens. Terms with other
 * characters are not indexed: the caller tests them on its candidates.
 *
 * Built slot by slot (`buildSome`, a slice per event-loop turn, or all at once when a term is asked
 * for first): a change to a slot the build has passed moves it in the index; one ahead of the build
 * is read when the build gets there.
 */
export class TermIndex {
  /**
   * Each token's number, in TOKEN_SHARDS maps: one map of a million tokens held the event loop for
   * hundreds of ms each time it grew (every entry rehashed at once), and a Map holds at most 2^24.
   */
  private readonly tokenIds = Array.from({ length: TOKEN_SHARDS }, () => new Map<string, number>());
  /** By token number: its text and its sessions (one slot, or a list). */
  private readonly tokenTexts: Array<string | undefined> = [];
  private readonly tokenSessions: Array<number | PostingList | undefined> = [];
  private readonly freeTokenIds: number[] = [];
  /** Token numbers by trigram: never bitmaps, since a million tokens would make each one 125 KB. */
  private readonly tokensByTrigram = new Map<string, PostingList>();
  /** Sessions by each 1- and 2-character gram of their tokens (keys: see `gramKey`). */
  private readonly sessionsByGram = new Map<number, PostingList>();
  /** The sessions of terms of three characters or more already asked for: valid until a token comes or goes. */
  private readonly sessionsByTerm = new Map<string, PostingList>();
  /** Slots below this are in the index; the build reads the others when it gets there. */
  private builtBelow = 0;
  private buildStarted = false;

  constructor(private readonly source: SlotTexts) {}

  /** Whether updates are being followed: until then the caller need not work out texts for them. */
  get built(): boolean {
    return this.buildStarted;
  }

  /** Whether every slot is in. */
  get complete(): boolean {
    return this.buildStarted && this.builtBelow >= this.source.slotLimit();
  }

  /** Moves a slot from the tokens of its old text to those of its new one (either may be absent). */
  update(slot: number, before: string | undefined, after: string | undefined): void {
    if (slot < this.builtBelow) this.move(slot, before, after);
  }

  /** Indexes slots for at most `budgetMs`; whether any are left. */
  buildSome(budgetMs: number): boolean {
    this.buildStarted = true;
    const deadline = performance.now() + budgetMs;
    while (this.builtBelow < this.source.slotLimit()) {
      const slot = this.builtBelow;
      this.builtBelow += 1;
      const text = this.source.textAt(slot);
      if (text !== undefined) this.move(slot, undefined, text);
      if (performance.now() >= deadline) break;
    }
    return !this.complete;
  }

  private move(slot: number, before: string | undefined, after: string | undefined): void {
    const oldTokens = tokensOf(before);
    const newTokens = tokensOf(after);
    this.moveGrams(slot, oldTokens, newTokens);
    for (const token of oldTokens) if (!newTokens.has(token)) this.removeSession(token, slot);
    for (const token of newTokens) if (!oldTokens.has(token)) this.addSession(token, slot);
  }

  private addSession(token: string, slot: number): void {
    const shard = this.tokenIds[shardOf(token)];
    let id = shard.get(token);
    if (id === undefined) {
      id = this.freeTokenIds.pop() ?? this.tokenTexts.length;
      shard.set(token, id);
      this.tokenTexts[id] = token;
      this.tokenSessions[id] = slot;
      this.forgetTerms();
      // A trigram twice in a token is added twice: the list keeps one.
      for (let index = 0; index + 3 <= token.length; index += 1) {
        const trigram = token.slice(index, index + 3);
        let tokens = this.tokensByTrigram.get(trigram);
        if (!tokens) this.tokensByTrigram.set(trigram, (tokens = new PostingList(Number.POSITIVE_INFINITY)));
        tokens.add(id);
      }
      return;
    }
    const sessions = this.tokenSessions[id]!;
    if (typeof sessions === 'number') {
      const list = new PostingList();
      list.add(sessions);
      list.add(slot);
      this.tokenSessions[id] = list;
    } else sessions.add(slot);
    this.forgetTerms();
  }

  private removeSession(token: string, slot: number): void {
    const shard = this.tokenIds[shardOf(token)];
    const id = shard.get(token)!;
    const sessions = this.tokenSessions[id]!;
    if (typeof sessions !== 'number') {
      sessions.delete(slot);
      this.forgetTerms();
      if (sessions.size > 0) return;
    }
    shard.delete(token);
    this.tokenTexts[id] = undefined;
    this.tokenSessions[id] = undefined;
    this.freeTokenIds.push(id);
    this.forgetTerms();
    for (let index = 0; index + 3 <= token.length; index += 1) {
      const trigram = token.slice(index, index + 3);
      const tokens = this.tokensByTrigram.get(trigram);
      if (!tokens) continue;
      tokens.delete(id);
      if (tokens.size === 0) this.tokensByTrigram.delete(trigram);
    }
  }

  /** Clearing an empty Map still allocates a new table: the build would pay for one per token. */
  private forgetTerms(): void {
    if (this.sessionsByTerm.size > 0) this.sessionsByTerm.clear();
  }

  private moveGrams(slot: number, oldTokens: ReadonlySet<string>, newTokens: ReadonlySet<string>): void {
    const oldGrams = gramsOf(oldTokens);
    const newGrams = gramsOf(newTokens);
    for (const gram of oldGrams) {
      if (newGrams.has(gram)) continue;
      const slots = this.sessionsByGram.get(gram)!;
      slots.delete(slot);
      if (slots.size === 0) this.sessionsByGram.delete(gram);
    }
    for (const gram of newGrams) {
      if (oldGrams.has(gram)) continue;
      let slots = this.sessionsByGram.get(gram);
      if (!slots) this.sessionsByGram.set(gram, (slots = new PostingList()));
      slots.add(slot);
    }
  }

  /**
   * The slots of the sessions whose text contains `term`, or undefined when they are more than
   * `budget` (the caller then tests its own, smaller candidates instead) or the term is not a word.
   * Builds what is left of the index first.
   */
  postingsContaining(term: string, budget: number): PostingList | undefined {
    if (!WORD.test(term)) return undefined;
    while (this.buildSome(Number.POSITIVE_INFINITY));
    if (term.length <= 2) return this.sessionsByGram.get(gramKey(term)) ?? NO_SESSIONS;
    const cached = this.sessionsByTerm.get(term);
    if (cached) return cached;
    const tokens = this.tokensContaining(term);
    let size = 0;
    for (const id of tokens) {
      const sessions = this.tokenSessions[id]!;
      size += typeof sessions === 'number' ? 1 : sessions.size;
      if (size > budget && tokens.length > 1) return undefined;
    }
    const sessions = this.unionOf(tokens);
    if (this.sessionsByTerm.size >= TERM_CACHE_SIZE) this.forgetTerms();
    this.sessionsByTerm.set(term, sessions);
    return sessions;
  }

  /** The same as a set of session ids. */
  sessionsContaining(term: string, budget: number): ReadonlySet<string> | undefined {
    const list = this.postingsContaining(term, budget);
    if (!list) return undefined;
    const ids = new Set<string>();
    list.forEach((slot) => ids.add(this.source.idAt(slot)));
    return ids;
  }

  /** Token numbers of the tokens holding `term` (three characters or more): among those of its rarest trigram. */
  private tokensContaining(term: string): number[] {
    const lists = trigramsOf(term).map((trigram) => this.tokensByTrigram.get(trigram) ?? NO_TOKENS);
    lists.sort((a, b) => a.size - b.size);
    const [rarest, ...others] = lists;
    const found: number[] = [];
    rarest.forEach((id) => {
      if (others.every((list) => list.has(id)) && this.tokenTexts[id]!.includes(term)) found.push(id);
    });
    return found;
  }

  private unionOf(tokens: readonly number[]): PostingList {
    if (tokens.length === 1 && typeof this.tokenSessions[tokens[0]] !== 'number') return this.tokenSessions[tokens[0]] as PostingList;
    const slots: number[] = [];
    for (const id of tokens) {
      const sessions = this.tokenSessions[id]!;
      if (typeof sessions === 'number') slots.push(sessions);
      else sessions.forEach((slot) => slots.push(slot));
    }
    slots.sort((a, b) => a - b);
    const union = new PostingList();
    for (let index = 0; index < slots.length; index += 1) if (index === 0 || slots[index] !== slots[index - 1]) union.add(slots[index]);
    return union;
  }
}

const NO_SESSIONS = new PostingList();
const TOKEN_SHARDS = 256;
/** A token's shard: from its length and its first, middle and last characters, cheap and well spread. */
const shardOf = (token: string): number =>
  (token.length * 7 + token.charCodeAt(0) * 31 + token.charCodeAt(token.length - 1) * 131 + token.charCodeAt(token.length >> 1) * 17) & (TOKEN_SHARDS - 1);
const NO_TOKENS = new PostingList();
const TERM_CACHE_SIZE = 1000;
const WORD = /^[\p{L}\p{N}]+$/u;
const TOKEN = /[\p{L}\p{N}]+/gu;

const tokensOf = (text: string | undefined): Set<string> => new Set(text ? text.match(TOKEN) : []);

function trigramsOf(text: string): string[] {
  const trigrams = new Set<string>();
  for (let index = 0; index + 3 <= text.length; index += 1) trigrams.add(text.slice(index, index + 3));
  return [...trigrams];
}

/** A 1-character gram's key is its code unit; a 2-character one's is above every code unit. */
const gramKey = (gram: string): number => (gram.length === 1 ? gram.charCodeAt(0) : gram.charCodeAt(0) * 0x10000 + gram.charCodeAt(1));

/** Every 1- and 2-character gram inside the tokens: a gram across two tokens is never a word's. */
function gramsOf(tokens: ReadonlySet<string>): Set<number> {
  const grams = new Set<number>();
  for (const token of tokens) {
    let previous = token.charCodeAt(0);
    grams.add(previous);
    for (let index = 1; index < token.length; index += 1) {
      const code = token.charCodeAt(index);
      grams.add(code);
      grams.add(previous * 0x10000 + code);
      previous = code;
    }
  }
  return grams;
}
