import type { StoredEvent } from '../events/envelope';
import type { Projection } from './runner';
import { PostingList } from './posting-list';
import { firstInOrder } from './first-in-order';
import { foldText, searchTextOf } from './search-text';
import { evolveSession, type SessionState } from './session-state';
import { SlotBitmap } from './slot-bitmap';
import type { SnapshotItems } from './snapshot-items';
import { SortedIndex } from './sorted-index';
import { TagCounts, type TagCount } from './tag-counts';
import { TermIndex } from './term-index';
import { ValueIndex } from './value-index';
import { normalisedPath } from '../src/project-path';

export const SORT_FIELDS = ['title', 'kind', 'status', 'lastOpened', 'createdAt', 'updatedAt'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type Direction = 'asc' | 'desc';

/** A list query, already validated: terms folded, tags and kind in lower case. */
export interface SessionQuery {
  terms: string[];
  kind: string | null;
  /** A status slug, canonical (beyond the contract: the web app's status filter); absent or null: any. */
  status?: string | null;
  tags: string[];
  /** Only sessions opened at or after this time, in whole seconds as the sessions hold theirs. */
  openedSince: string | null;
  sort: SortField | null;
  /** null: the sort's natural direction (A-Z for text, newest first for times). */
  order: Direction | null;
  limit: number;
  offset: number;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export type { TagCount } from './tag-counts';

type Segment = { index: SortedIndex<SessionState>; direction: Direction };

/** A filtered query's matches: how many, which (slots, ascending), and a test for the walk of an order. */
interface Matches {
  total: number;
  slots(): ArrayLike<number>;
  passes(state: SessionState, slot: number): boolean;
}

/** Restored ids a turn of `parsePending` puts in `slotOf`, for each session it would parse. */
const IDS_PER_SESSION_PARSED = 8;
/** What a kind or tag nobody holds matches: never changed. */
const NO_SESSIONS = new PostingList();
/**
 * Testing a term on a candidate (building its search text, then a substring search) costs about
 * as much as marking this many slots of the term index's lists.
 */
const SCAN_COST = 256;
/** How long one turn of the word or tag index's first build may hold the event loop, ms. */
const INDEX_BUILD_SLICE_MS = 5;
/** A run of letters and digits: every run of a term lies inside one token of a text that holds the term. */
const RUN = /[\p{L}\p{N}]+/gu;

/**
 * The sessions read model: every live session by id, with the indexes that answer §5.3 without
 * scanning: by tag, by kind, by word, and one sorted index per order. The fold keeps them current;
 * a query only reads them. Each session has a slot (a small integer, reused after a delete) so that
 * the tag, kind and word lists are typed arrays and a query intersects them in bitmaps.
 */
export class SessionsProjection implements Projection {
  readonly name = 'sessions';
  readonly version = 3;
  /** Each live session's slot, by id: read through `slots()`, which first puts in any restored ids still left out. */
  private readonly slotOf = new Map<string, number>();
  /** Each slot's session; undefined for a free slot, or one whose session is still unparsed. */
  private readonly states: Array<SessionState | undefined> = [];
  private readonly freeSlots: number[] = [];
  /**
   * Sessions restored from a snapshot and not read since: slot N holds snapshot item N while
   * `pending[N]` is set. A query that needs them all parses the rest first. Their ids go into
   * `slotOf` when first looked up (slots below `indexed` are in; `unindexed` ids are not yet).
   */
  private unparsed: { items: SnapshotItems; pending: Uint8Array; left: number; next: number; indexed: number; unindexed: number } | null = null;
  /**
   * Each slot's title as the title order compares it, so sorting a few hundred matches folds none:
   * folded when first compared, forgotten when the title changes.
   */
  private readonly foldedTitles: Array<string | undefined> = [];
  /** The sessions by slot, for the value indexes to build from (each parsed when read). */
  private readonly sessionSlots = { slotLimit: () => this.states.length, itemAt: (slot: number) => this.stateAt(slot) };
  private readonly tagOrder = new TagCounts();
  private readonly byTag = new ValueIndex<SessionState>((session) => session.tags, this.sessionSlots, undefined, (key, entry) => this.tagOrder.changed(key, entry));
  private readonly byKind = new ValueIndex<SessionState>((session) => [session.kind], this.sessionSlots);
  private readonly byStatus = new ValueIndex<SessionState>((session) => [session.status], this.sessionSlots);
  private readonly byPath = new ValueIndex<SessionState>((session) => (session.projectPath === null ? [] : [session.projectPath]), this.sessionSlots, normalisedPath);
  /** The tag index's build under way, a slice per event-loop turn (see tagsReady). */
  private tagsBuilding: Promise<void> | null = null;
  private readonly terms = new TermIndex({
    slotLimit: () => this.states.length,
    textAt: (slot) => {
      const state = this.stateAt(slot);
      return state && searchTextOf(state);
    },
    idAt: (slot) => this.stateAt(slot)!.id,
  });
  /** The word index's build under way, a slice per event-loop turn (see searchReady). */
  private termsBuilding: Promise<void> | null = null;
  /** Scratch bitmaps for a query's filters: list() is synchronous, so one set serves every request. */
  private readonly bitmaps: SlotBitmap[] = [];
  private readonly indexFor = (fields: Array<keyof SessionState>, keyOf: (session: SessionState) => string | null) =>
    new SortedIndex<SessionState>(fields, keyOf, () => this.all());
  private readonly sorted = {
    title: this.indexFor(['title'], (session) => foldText(session.title)),
    kind: this.indexFor(['kind'], (session) => foldText(session.kind)),
    status: this.indexFor(['status'], (session) => session.status),
    createdAt: this.indexFor(['createdAt'], (session) => session.createdAt),
    updatedAt: this.indexFor(['updatedAt'], (session) => session.updatedAt),
    opened: this.indexFor(['lastOpened'], (session) => session.lastOpened),
    openedThenUpdated: this.indexFor(['lastOpened', 'updatedAt'], (session) => (session.lastOpened === null ? null : `${session.lastOpened}|${session.updatedAt}`)),
    neverOpenedByUpdated: this.indexFor(['lastOpened', 'updatedAt'], (session) => (session.lastOpened === null ? session.updatedAt : null)),
    neverOpenedById: this.indexFor(['lastOpened'], (session) => (session.lastOpened === null ? '' : null)),
  };
  private readonly sortedIndexes = Object.values(this.sorted);

  apply(event: StoredEvent): void {
    if (!event.streamId.startsWith('session_')) return;
    // One lookup per event: on a replay of a million events, each Map lookup shows in the profile.
    const slot = this.slots().get(event.streamId);
    const before = slot === undefined ? undefined : this.stateAt(slot);
    this.replace(event.streamId, slot, before, evolveSession(before, event));
  }

  /** The live sessions, by id: the whole model, since every index is derived from them. */
  snapshot(): SessionState[] {
    return [...this.all()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * Parses no session whose id it can read without parsing: a 100,000-session model is ready to
   * serve in a tenth of the time. Their ids are put in when first looked up, and they are parsed
   * when first read, when a query needs them all, or a slice at a time by `parsePending`.
   */
  restore(items: SnapshotItems): void {
    if (this.states.length > 0) throw new Error('a model is restored only when empty');
    const pending = new Uint8Array(items.length);
    let left = 0;
    // Slot N is item N: every slot is taken, the unparsed ones left empty.
    this.states.length = items.length;
    for (let slot = 0; slot < items.length; slot += 1) {
      const id = items.leadingString(slot, 'id');
      if (id === undefined) {
        const state = items.item(slot) as SessionState;
        this.slotOf.set(state.id, slot);
        this.states[slot] = state;
        continue;
      }
      pending[slot] = 1;
      left += 1;
    }
    this.unparsed = { items, pending, left, next: 0, indexed: 0, unindexed: left };
    this.parsePending(0);
  }

  /**
   * Parses up to `count` of the sessions still unparsed, in slot order (a turn that puts restored
   * ids in `slotOf` instead puts in eight times as many); whether any are left.
   */
  parsePending(count = Number.POSITIVE_INFINITY): boolean {
    const unparsed = this.unparsed;
    if (!unparsed) return false;
    if (this.indexRestored(count * IDS_PER_SESSION_PARSED) && count !== Number.POSITIVE_INFINITY) return true;
    for (let parsed = 0; parsed < count && unparsed.left > 0; unparsed.next += 1) {
      if (!unparsed.pending[unparsed.next]) continue;
      this.parseSlot(unparsed.next);
      parsed += 1;
    }
    if (unparsed.left > 0) return true;
    unparsed.items.close();
    this.unparsed = null;
    return false;
  }

  /** Puts up to `count` restored ids into `slotOf`; whether any are still left out. */
  private indexRestored(count: number): boolean {
    const unparsed = this.unparsed;
    if (!unparsed || unparsed.unindexed === 0) return false;
    const end = Math.min(unparsed.items.length, unparsed.indexed + count);
    for (let slot = unparsed.indexed; slot < end; slot += 1) {
      const id = unparsed.items.leadingString(slot, 'id');
      if (id === undefined) continue;
      this.slotOf.set(id, slot);
      unparsed.unindexed -= 1;
    }
    unparsed.indexed = end;
    return unparsed.unindexed > 0;
  }

  private slots(): Map<string, number> {
    this.indexRestored(Number.POSITIVE_INFINITY);
    return this.slotOf;
  }

  private stateAt(slot: number): SessionState | undefined {
    return this.states[slot] ?? (this.unparsed?.pending[slot] ? this.parseSlot(slot) : undefined);
  }

  private parseSlot(slot: number): SessionState {
    const unparsed = this.unparsed!;
    const state = unparsed.items.item(slot) as SessionState;
    this.states[slot] = state;
    unparsed.pending[slot] = 0;
    unparsed.left -= 1;
    return state;
  }

  /** Moves one session from `before` to `after` in its slot (undefined: it has none yet) and in every index. */
  private replace(id: string, slot: number | undefined, before: SessionState | undefined, after: SessionState | undefined): void {
    if (slot === undefined) {
      if (!after) return;
      slot = this.freeSlots.pop() ?? this.states.length;
      this.slotOf.set(id, slot);
    }
    for (const index of this.sortedIndexes) index.update(before, after);
    if (before?.kind !== after?.kind) this.byKind.update(slot, before, after);
    if (before?.status !== after?.status) this.byStatus.update(slot, before, after);
    if (before?.tags !== after?.tags) this.byTag.update(slot, before, after);
    if (before?.projectPath !== after?.projectPath) this.byPath.update(slot, before, after);
    const unchangedText = before && after && before.title === after.title && before.client === after.client && before.notes === after.notes && before.tags === after.tags;
    // The texts are not kept (they would double the notes in memory): rebuilt for the index only.
    if (!unchangedText && this.terms.built) this.terms.update(slot, before && searchTextOf(before), after && searchTextOf(after));
    if (before?.title !== after?.title) this.foldedTitles[slot] = undefined;
    this.states[slot] = after;
    if (!after) {
      this.slotOf.delete(id);
      this.freeSlots.push(slot);
    }
  }

  /**
   * Resolves once the word index that `q` reads is whole. Its first build reads every session's
   * text (seconds for a million distinct words), so it runs a slice per event-loop turn and other
   * requests are served in between; a list with terms waits for this first.
   */
  searchReady(): Promise<void> {
    if (this.terms.complete) return Promise.resolve();
    this.termsBuilding ??= buildInSlices(this.terms).finally(() => (this.termsBuilding = null));
    return this.termsBuilding;
  }

  get(id: string): SessionState | undefined {
    const slot = this.slots().get(id);
    return slot === undefined ? undefined : this.stateAt(slot);
  }

  /** Whether a live session has this project path, however either is spelt: what an import checks to skip a project it already has. */
  hasProjectPath(path: string): boolean {
    return this.byPath.slotsOf(normalisedPath(path)) !== undefined;
  }

  count(): number {
    return this.slotOf.size + (this.unparsed?.unindexed ?? 0);
  }

  /** Every live session, in no particular order. */
  *all(): IterableIterator<SessionState> {
    this.parsePending();
    for (const state of this.states) if (state) yield state;
  }


  list(query: SessionQuery): Page<SessionState> {
    const segments = this.plan(query.sort, query.order);
    const matches = this.matches(query);
    if (matches === null) return { items: this.page(this.walk(segments), query), total: this.count() };
    // Few matches: sort them. Many: walk the order, testing each session, until the page is full.
    const ordered = matches.total < this.count() / 16 ? this.inOrder(matches.slots(), segments, query.offset + query.limit) : this.walk(segments, matches.passes);
    return { items: this.page(ordered, query), total: matches.total };
  }

  /**
   * Resolves once the tag index (and the tags' order) is whole: its first build reads every
   * session's tags, seconds for a million tags, so it runs a slice per event-loop turn.
   */
  tagsReady(): Promise<void> {
    if (this.byTag.complete) return Promise.resolve();
    this.tagsBuilding ??= buildInSlices(this.byTag).finally(() => (this.tagsBuilding = null));
    return this.tagsBuilding;
  }

  /** A page of the tags over live sessions, case-insensitively, in their most used spelling: count desc, then tag. */
  tagCounts(offset = 0, limit = Number.POSITIVE_INFINITY): Page<TagCount> {
    this.byTag.byKey();
    return { items: this.tagOrder.page(offset, limit), total: this.tagOrder.count() };
  }

  /** The sessions that pass the query's filters; null: no filter at all. */
  private matches(query: SessionQuery): Matches | null {
    const { terms, openedSince } = query;
    // Each filter is a union of slot lists (one list for a kind or a tag, one per token for a word).
    const filters: PostingList[][] = [];
    if (query.kind !== null) filters.push([this.byKind.slotsOf(query.kind) ?? NO_SESSIONS]);
    if (query.status) filters.push([this.byStatus.slotsOf(query.status) ?? NO_SESSIONS]);
    for (const tag of query.tags) filters.push([this.byTag.slotsOf(tag) ?? NO_SESSIONS]);
    if (filters.length === 0 && terms.length === 0 && openedSince === null) return null;
    const sizeOf = (lists: PostingList[]) => lists.reduce((sum, list) => sum + list.size, 0);
    // A term becomes a filter when its lists are cheaper to mark than testing the candidates
    // already in hand; the other terms are tested on each candidate. A term with other characters
    // than letters and digits is always tested, its longest word narrowing the candidates first.
    const scannedTerms: string[] = [];
    for (const term of terms) {
      const budget = Math.min(...filters.map((lists) => sizeOf(lists) * SCAN_COST));
      const word = (term.match(RUN) ?? []).reduce((longest, run) => (run.length > longest.length ? run : longest), '');
      const sessions = word === '' ? undefined : this.terms.postingsContaining(word, budget);
      if (sessions) filters.push([sessions]);
      if (!sessions || word !== term) scannedTerms.push(term);
    }
    if (filters.length === 0 && scannedTerms.length === 0) return this.openedSince(openedSince!);
    const scanned = (state: SessionState) => {
      if (openedSince !== null && (state.lastOpened === null || state.lastOpened < openedSince)) return false;
      if (scannedTerms.length === 0) return true;
      const text = searchTextOf(state);
      return scannedTerms.every((term) => text.includes(term));
    };
    const alone = filters.length === 1 && filters[0].length === 1 && scannedTerms.length === 0 && openedSince === null ? filters[0][0] : undefined;
    const aloneBitmap = alone?.bitmap();
    // One large list is the answer as it stands (q=a on most sessions): no slot gathered or marked.
    if (alone && aloneBitmap) return { total: alone.size, slots: () => alone.matching([]), passes: (_state, slot) => aloneBitmap.has(slot) };
    let listed: number[];
    if (filters.length > 0) listed = this.inEvery(filters.sort((a, b) => sizeOf(a) - sizeOf(b)));
    else listed = openedSince === null ? this.liveSlots() : this.slotsOf(this.sorted.opened.from(openedSince));
    const found = openedSince === null && scannedTerms.length === 0 ? listed : listed.filter((slot) => scanned(this.stateAt(slot)!));
    // Marked only when the order is walked: sorting few matches needs no test.
    let matched: SlotBitmap | undefined;
    const marked = () => {
      const bitmap = this.scratch(0);
      bitmap.mark(found);
      return bitmap;
    };
    return { total: found.length, slots: () => found, passes: (_state, slot) => (matched ??= marked()).has(slot) };
  }

  /**
   * The slots in every filter (each a union of lists), smallest filter first: its slots are the
   * candidates, the others are tested as bitmaps (a large list's own, else one marked for this query).
   */
  private inEvery(filters: PostingList[][]): number[] {
    const [first, ...others] = filters;
    const tested = others.map((lists, index) => (lists.length === 1 && lists[0].bitmap()) || this.marked(lists, index + 1));
    return first.length === 1 ? first[0].matching(tested) : this.marked(first, 0).slotsAlsoIn(tested);
  }

  /** recent=true alone: the sessions opened since the cut-off, counted without gathering them. */
  private openedSince(cutOff: string): Matches {
    return {
      total: this.sorted.opened.countFrom(cutOff),
      slots: () => this.slotsOf(this.sorted.opened.from(cutOff)),
      passes: (state) => state.lastOpened !== null && state.lastOpened >= cutOff,
    };
  }

  /** Scratch bitmap `number`, cleared. */
  private scratch(number: number): SlotBitmap {
    const bitmap = (this.bitmaps[number] ??= new SlotBitmap());
    bitmap.reset(this.states.length);
    return bitmap;
  }

  /** Scratch bitmap `number` with the union of `lists` marked. */
  private marked(lists: readonly PostingList[], number: number): SlotBitmap {
    const bitmap = this.scratch(number);
    for (const list of lists) list.markInto(bitmap);
    return bitmap;
  }

  private liveSlots(): number[] {
    this.parsePending();
    const slots: number[] = [];
    this.states.forEach((state, slot) => state && slots.push(slot));
    return slots;
  }

  private slotsOf(ids: readonly string[]): number[] {
    const slotOf = this.slots();
    return ids.map((id) => slotOf.get(id)!);
  }

  /** The indexes to walk, in turn, for a sort and order (§5.3). */
  private plan(sort: SortField | null, order: Direction | null): Segment[] {
    const s = this.sorted;
    switch (sort) {
      case 'title':
      case 'kind':
      case 'status':
        return [{ index: s[sort], direction: order ?? 'asc' }];
      case 'createdAt':
      case 'updatedAt':
        return [{ index: s[sort], direction: order ?? 'desc' }];
      case 'lastOpened':
        // Never-opened sessions last in either order, by id.
        return [
          { index: s.opened, direction: order ?? 'desc' },
          { index: s.neverOpenedById, direction: 'asc' },
        ];
      case null:
        // Last opened first, never-opened last; then most recently updated.
        return [
          { index: s.openedThenUpdated, direction: order ?? 'desc' },
          { index: s.neverOpenedByUpdated, direction: order ?? 'desc' },
        ];
    }
  }

  private *walk(segments: Segment[], passes?: Matches['passes']): Generator<SessionState> {
    const slotOf = this.slots();
    for (const { index, direction } of segments) {
      for (const id of index.walk(direction)) {
        const slot = slotOf.get(id)!;
        const state = this.stateAt(slot)!;
        if (!passes || passes(state, slot)) yield state;
      }
    }
  }

  /**
   * The first `wanted` sessions in the order of walking `segments` (all of them when fewer): each
   * one's place is worked out once, then compared.
   */
  private inOrder(slots: ArrayLike<number>, segments: Segment[], wanted: number): SessionState[] {
    // Parallel arrays, not an object per match: this runs on every search.
    const count = slots.length;
    const sessions = new Array<SessionState>(count);
    const positions = new Array<number>(count);
    const keys = new Array<string>(count);
    const signs = segments.map(({ direction }) => (direction === 'asc' ? 1 : -1));
    for (let match = 0; match < count; match += 1) {
      const session = (sessions[match] = this.stateAt(slots[match])!);
      positions[match] = segments.length;
      keys[match] = '';
      for (let position = 0; position < segments.length; position += 1) {
        const { index } = segments[position];
        const key = index === this.sorted.title ? (this.foldedTitles[slots[match]] ??= foldText(session.title)) : index.keyOf(session);
        if (key === null) continue;
        positions[match] = position;
        keys[match] = key;
        break;
      }
    }
    const compare = (a: number, b: number) => {
      if (positions[a] !== positions[b]) return positions[a] - positions[b];
      if (keys[a] !== keys[b]) return (keys[a] < keys[b] ? -1 : 1) * (signs[positions[a]] ?? 1);
      const idA = sessions[a].id;
      const idB = sessions[b].id;
      return idA < idB ? -1 : idA > idB ? 1 : 0;
    };
    return (wanted * 4 < count ? firstInOrder(count, wanted, compare) : Array.from({ length: count }, (_, match) => match).sort(compare)).map((match) => sessions[match]);
  }

  private page(sessions: Iterable<SessionState>, { offset, limit }: SessionQuery): SessionState[] {
    const items: SessionState[] = [];
    let skipped = 0;
    for (const session of sessions) {
      if (skipped < offset) {
        skipped += 1;
        continue;
      }
      if (items.length === limit) break;
      items.push(session);
    }
    return items;
  }
}

/** Runs an index's first build a slice per event-loop turn, so other requests are served in between. */
async function buildInSlices(index: { buildSome(budgetMs: number): boolean }): Promise<void> {
  while (index.buildSome(INDEX_BUILD_SLICE_MS)) await new Promise((resolve) => setImmediate(resolve));
}
