import { batch, signal } from '@preact/signals';
import { ApiFailure, get } from './api';
import type { Session } from './types';

/*
 * The cards' data: `GET /sessions` read page by page as the list scrolls to them. Only the pages
 * near what is on screen are held (at most MAX_PAGES), so a catalogue of 100,000 sessions costs the
 * page a few hundred cards, never the whole list.
 */

export const SORTS = ['lastOpened', 'updatedAt', 'createdAt', 'title', 'kind', 'status'] as const;
export type Sort = (typeof SORTS)[number];

export interface ListQuery {
  q: string;
  kind: string;
  status: string;
  tags: string[];
  recent: boolean;
  sort: Sort | '';
  order: 'asc' | 'desc' | '';
}

export const PAGE_SIZE = 100;
const MAX_PAGES = 30;

export const emptyQuery: ListQuery = { q: '', kind: '', status: '', tags: [], recent: false, sort: '', order: '' };

export const query = signal<ListQuery>(emptyQuery);
/** Matches of the current query; null until the first page answers. */
export const total = signal<number | null>(null);
/** Bumped whenever a page arrives, so the cards read again. */
export const pagesChanged = signal(0);
export const listError = signal<ApiFailure | null>(null);
/** Milliseconds the last first page took, from asking to having it: shown to the person, used by the benchmark. */
export const lastAnswerMs = signal<number | null>(null);
/** Bumped when a first page (of a new query or a refresh) arrives: the cards mark when they show it. */
export const firstPageAnswers = signal(0);

/** A User Timing mark the benchmark reads (bench/ui.ts); one of each name is kept, so they never pile up. */
export function markOnce(name: string): void {
  performance.clearMarks(name);
  performance.mark(name);
}

const pages = new Map<number, Session[]>();
const loading = new Map<number, AbortController>();
/** Answers for an older query are dropped: each query is a generation. */
let generation = 0;

export function sessionAt(index: number): Session | undefined {
  return pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
}

/** The index of a session among the pages held (at most MAX_PAGES of them), or -1. */
export function heldIndexOf(sessionId: string): number {
  for (const [page, sessions] of pages) {
    const at = sessions.findIndex((session) => session.id === sessionId);
    if (at >= 0) return page * PAGE_SIZE + at;
  }
  return -1;
}

/** Loads the pages that hold `first`..`last` (indexes of sessions), and forgets the farthest ones. */
export function needRange(first: number, last: number): void {
  const from = Math.max(0, Math.floor(first / PAGE_SIZE));
  const to = Math.floor(Math.max(first, last) / PAGE_SIZE);
  for (let page = from; page <= to && page - from < MAX_PAGES; page += 1) {
    if (!pages.has(page) && !loading.has(page)) void loadPage(page, generation);
  }
  if (pages.size > MAX_PAGES) {
    const centre = (from + to) / 2;
    const farthest = [...pages.keys()].sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
    for (const page of farthest.slice(0, pages.size - MAX_PAGES)) pages.delete(page);
  }
}

/** A new query: everything held is for the old one. */
export function setQuery(next: ListQuery): void {
  generation += 1;
  refreshWhenShown = false;
  for (const controller of loading.values()) controller.abort();
  loading.clear();
  batch(() => {
    query.value = next;
  });
  markOnce('query-sent');
  void loadPage(0, generation, { replace: true });
}

/** A refresh asked for while the very first page is on its way: made once that page is shown, so the first cards do not wait for two answers. */
let refreshWhenShown = false;

/** The catalogue changed (another client wrote): read the held pages again, keeping them on screen meanwhile. */
export function refresh(): void {
  if (pages.size === 0 && loading.has(0)) {
    refreshWhenShown = true;
    return;
  }
  refreshWhenShown = false;
  generation += 1;
  const held = [...pages.keys()];
  if (held.length === 0) held.push(0);
  for (const page of held) void loadPage(page, generation, { replace: page === held[0] });
}

function parameters(list: ListQuery, page: number) {
  return {
    q: list.q.trim(),
    kind: list.kind,
    status: list.status,
    tags: list.tags,
    recent: list.recent ? 'true' : undefined,
    sort: list.sort,
    order: list.order,
    limit: PAGE_SIZE,
    offset: page * PAGE_SIZE,
  };
}

async function loadPage(page: number, forGeneration: number, { replace = false } = {}): Promise<void> {
  const controller = new AbortController();
  loading.get(page)?.abort();
  loading.set(page, controller);
  const started = performance.now();
  try {
    const answer = await get<Session[]>('/sessions', { query: parameters(query.value, page), signal: controller.signal });
    if (forGeneration !== generation) return;
    batch(() => {
      if (replace) pages.clear();
      pages.set(page, answer.data);
      total.value = answer.meta?.total ?? answer.data.length;
      listError.value = null;
      if (page === 0) {
        lastAnswerMs.value = performance.now() - started;
        firstPageAnswers.value += 1;
      }
      pagesChanged.value += 1;
    });
    if (page === 0 && refreshWhenShown) refresh();
  } catch (error) {
    if (controller.signal.aborted || forGeneration !== generation) return;
    listError.value = error instanceof ApiFailure ? error : new ApiFailure(0, 'internal_error', String(error));
  } finally {
    if (loading.get(page) === controller) loading.delete(page);
  }
}
