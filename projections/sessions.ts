import type { StoredEvent } from '../events/envelope';
import type { Projection } from './runner';
import { foldText, searchTextOf } from './search-text';
import { evolveSession, type SessionState } from './session-state';
import { SortedIndex } from './sorted-index';
import { TermIndex } from './term-index';

export const SORT_FIELDS = ['title', 'kind', 'status', 'lastOpened', 'createdAt', 'updatedAt'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type Direction = 'asc' | 'desc';

/** A list query, already validated: terms folded, tags and kind in lower case. */
export interface SessionQuery {
  terms: string[];
  kind: string | null;
  tags: string[];
  /** Only sessions opened at or after this ISO time. */
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

/** A query's filters: where to look (the smallest index that holds every match) and how to test. */
interface QueryFilter {
  candidates: Iterable<string>;
  /** The candidates are exactly the matches (the index was the whole filter). */
  candidatesMatch: boolean;
  /** Whether any id matches. */
  passes(id: string): boolean;
  /** Whether a candidate matches, skipping what its index already guarantees. */
  candidatePasses(id: string): boolean;
}

export interface TagCount {
  tag: string;
  count: number;
}

type Segment = { index: SortedIndex<SessionState>; direction: Direction };

interface Entry {
  state: SessionState;
  text: string;
}


/**
 * The sessions read model: every live session by id, with the indexes that answer §5.3 without
 * scanning: by tag, by kind, a folded search text, and one sorted index per order. The fold keeps
 * them current; a query only reads them.
 */
export class SessionsProjection implements Projection {
  readonly name = 'sessions';
  readonly version = 2;
  private readonly entries = new Map<string, Entry>();
  private readonly byTag = new Map<string, Set<string>>();
  private readonly tagSpellings = new Map<string, Map<string, number>>();
  private readonly byKind = new Map<string, Set<string>>();
  private readonly terms = new TermIndex(() => Array.from(this.entries, ([id, entry]): [string, string] => [id, entry.text]));
  private readonly states = () => Array.from(this.entries.values(), (entry) => entry.state);
  private readonly indexFor = (fields: Array<keyof SessionState>, keyOf: (session: SessionState) => string | null) =>
    new SortedIndex<SessionState>(fields, keyOf, this.states);
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

  apply(event: StoredEvent): void {
    if (!event.streamId.startsWith('session_')) return;
    const before = this.entries.get(event.streamId)?.state;
    this.replace(event.streamId, before, evolveSession(before, event));
  }

  /** The live sessions, by id: the whole model, since every index is derived from them. */
  snapshot(): SessionState[] {
    return [...this.entries.values()].map((entry) => entry.state).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  restore(data: unknown): void {
    for (const state of data as SessionState[]) this.replace(state.id, undefined, state);
  }

  /** Moves one session from `before` to `after` in the map and in every index. */
  private replace(id: string, before: SessionState | undefined, after: SessionState | undefined): void {
    for (const index of Object.values(this.sorted)) index.update(before, after);
    if (before?.kind !== after?.kind) this.reindexSet(this.byKind, id, before && [before.kind], after && [after.kind]);
    if (before?.tags !== after?.tags) {
      this.reindexSet(this.byTag, id, before?.tags, after?.tags);
      this.countSpellings(before?.tags ?? [], -1);
      this.countSpellings(after?.tags ?? [], 1);
    }
    const oldText = this.entries.get(id)?.text;
    const unchangedText = before && after && before.title === after.title && before.client === after.client && before.notes === after.notes && before.tags === after.tags;
    const newText = after && (unchangedText ? oldText : searchTextOf(after));
    if (!unchangedText) this.terms.update(id, oldText, newText);
    if (after) this.entries.set(id, { state: after, text: newText! });
    else this.entries.delete(id);
  }

  get(id: string): SessionState | undefined {
    return this.entries.get(id)?.state;
  }

  count(): number {
    return this.entries.size;
  }

  /** Every live session, in no particular order. */
  *all(): IterableIterator<SessionState> {
    for (const entry of this.entries.values()) yield entry.state;
  }

  list(query: SessionQuery): Page<SessionState> {
    const segments = this.plan(query.sort, query.order);
    const filter = this.filter(query);
    if (filter === null) return { items: this.page(this.walk(segments), query), total: this.entries.size };
    const matches: string[] = [];
    for (const id of filter.candidates) if (filter.candidatesMatch || filter.candidatePasses(id)) matches.push(id);
    // Few matches: sort them. Many: walk the order, testing each id, until the page is full.
    const ordered = matches.length < this.entries.size / 16 ? this.inOrder(matches, segments) : this.walk(segments, filter.passes);
    return { items: this.page(ordered, query), total: matches.length };
  }

  /** Tags over live sessions, case-insensitively, in their most used spelling: count desc, then tag. */
  tagCounts(): TagCount[] {
    const counts: TagCount[] = [];
    for (const [key, ids] of this.byTag) {
      const spellings = [...this.tagSpellings.get(key)!].sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : 1));
      counts.push({ tag: spellings[0][0], count: ids.size });
    }
    return counts.sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  /**
   * The query's filters as candidates (from the smallest index that holds every match) and a test
   * for any id; `candidatesMatch` when the index alone was the whole filter. Null: no filter at all.
   */
  private filter(query: SessionQuery): QueryFilter | null {
    const { terms, openedSince } = query;
    const sets: Array<ReadonlySet<string>> = [];
    if (query.kind !== null) sets.push(this.byKind.get(query.kind) ?? new Set());
    for (const tag of query.tags) sets.push(this.byTag.get(tag) ?? new Set());
    if (sets.length === 0 && terms.length === 0 && openedSince === null) return null;
    // A term becomes a set of its own when the term index can name its sessions more cheaply
    // than testing the candidates already in hand; the other terms are tested on each candidate.
    const scannedTerms: string[] = [];
    for (const term of terms) {
      const budget = Math.min(this.entries.size / 4, ...sets.map((set) => set.size * 4));
      const holders = this.terms.sessionsContaining(term, budget);
      if (holders) sets.push(holders);
      else scannedTerms.push(term);
    }
    // Smallest first: most candidates fail on the first sets they are tested against.
    sets.sort((a, b) => a.size - b.size);
    const test = (id: string, firstSet: number, checkOpened: boolean) => {
      for (let index = firstSet; index < sets.length; index += 1) if (!sets[index].has(id)) return false;
      if (!(checkOpened && openedSince !== null) && scannedTerms.length === 0) return true;
      const entry = this.entries.get(id)!;
      if (checkOpened && openedSince !== null && (entry.state.lastOpened === null || entry.state.lastOpened < openedSince)) return false;
      for (const term of scannedTerms) if (!entry.text.includes(term)) return false;
      return true;
    };
    const passes = (id: string) => test(id, 0, true);
    if (sets.length > 0) {
      const candidatesMatch = sets.length === 1 && scannedTerms.length === 0 && openedSince === null;
      return { candidates: sets[0], candidatesMatch, passes, candidatePasses: (id) => test(id, 1, true) };
    }
    // Opened since the cut-off: a range of the lastOpened index, which is the filter itself when alone.
    if (openedSince !== null) {
      return { candidates: this.sorted.opened.from(openedSince), candidatesMatch: scannedTerms.length === 0, passes, candidatePasses: (id) => test(id, 0, false) };
    }
    return { candidates: this.entries.keys(), candidatesMatch: false, passes, candidatePasses: passes };
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

  private *walk(segments: Segment[], passes?: (id: string) => boolean): Generator<string> {
    for (const { index, direction } of segments) {
      for (const id of index.walk(direction)) if (!passes || passes(id)) yield id;
    }
  }

  /** The ids in the same order as walking `segments`: each id's place is worked out once, then sorted. */
  private inOrder(ids: string[], segments: Segment[]): string[] {
    const places = ids.map((id) => {
      const session = this.entries.get(id)!.state;
      for (const [position, { index, direction }] of segments.entries()) {
        const key = index.keyOf(session);
        if (key !== null) return { id, position, key, sign: direction === 'asc' ? 1 : -1 };
      }
      return { id, position: segments.length, key: '', sign: 1 };
    });
    places.sort((a, b) => {
      if (a.position !== b.position) return a.position - b.position;
      if (a.key !== b.key) return (a.key < b.key ? -1 : 1) * a.sign;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    return places.map((place) => place.id);
  }


  private page(ids: Iterable<string>, { offset, limit }: SessionQuery): SessionState[] {
    const items: SessionState[] = [];
    let skipped = 0;
    for (const id of ids) {
      if (skipped < offset) {
        skipped += 1;
        continue;
      }
      if (items.length === limit) break;
      items.push(this.entries.get(id)!.state);
    }
    return items;
  }

  /** Moves the session between the sets of a lower-cased index (kind, tags) by what changed. */
  private reindexSet(index: Map<string, Set<string>>, id: string, before: readonly string[] = [], after: readonly string[] = []): void {
    const newKeys = after.map((value) => value.toLowerCase());
    for (const value of before) {
      const key = value.toLowerCase();
      if (newKeys.includes(key)) continue;
      const ids = index.get(key);
      if (!ids) continue;
      ids.delete(id);
      if (ids.size === 0) index.delete(key);
    }
    for (const key of newKeys) {
      let ids = index.get(key);
      if (!ids) index.set(key, (ids = new Set()));
      ids.add(id);
    }
  }

  private countSpellings(tags: readonly string[], delta: 1 | -1): void {
    for (const tag of tags) {
      const key = tag.toLowerCase();
      const spellings = this.tagSpellings.get(key) ?? new Map<string, number>();
      const count = (spellings.get(tag) ?? 0) + delta;
      if (count > 0) spellings.set(tag, count);
      else spellings.delete(tag);
      if (spellings.size > 0) this.tagSpellings.set(key, spellings);
      else this.tagSpellings.delete(key);
    }
  }
}
