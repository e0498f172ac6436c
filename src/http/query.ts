import type { Context } from 'koa';
import { SORT_FIELDS, type Direction, type SessionQuery, type SortField } from '../../projections/sessions';
import { foldText } from '../../projections/search-text';
import { wholeSecondsOf } from '../../projections/timestamps';
import { canonicalSlug } from '../commands/normalise';
import { ApiError } from '../errors';

/** A list's page sizes: the default, and the largest (a larger limit is clamped to it). */
export interface PageSizes {
  defaultLimit: number;
  maxLimit: number;
}

/** /sessions, /events, /imports (§5.3). */
export const LIST_PAGE: PageSizes = { defaultLimit: 50, maxLimit: 500 };
/** /tags: a catalogue holds fewer tags than sessions, and a client that reads only the first page sees the most used. */
export const TAG_PAGE: PageSizes = { defaultLimit: 200, maxLimit: 1000 };
const DAY_MS = 86_400_000;
/** Each term is a filter of its own: past this many a query is refused rather than left to run long. */
export const MAX_TERMS = 32;

const invalid = (message: string) => new ApiError('invalid_query', message);

export function single(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw invalid(`${name} may be given only once.`);
  return value;
}

/** A whole number from `minimum` (to `maximum`, when given), or undefined when the parameter is absent. */
export function wholeNumber(ctx: Context, name: string, minimum: number, maximum?: number): number | undefined {
  const text = single(ctx, name);
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(value) || value < minimum || (maximum !== undefined && value > maximum)) {
    throw invalid(maximum === undefined ? `${name} must be a whole number of ${minimum} or more.` : `${name} must be a whole number from ${minimum} to ${maximum}.`);
  }
  return value;
}

function oneOf<T extends string>(ctx: Context, name: string, allowed: readonly T[]): T | undefined {
  const text = single(ctx, name);
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw invalid(`${name} must be one of: ${allowed.join(', ')}.`);
  return text as T;
}

const TRUE_WORDS = ['true', '1', 'yes'];
const FALSE_WORDS = ['false', '0', 'no'];
const BOOLEAN_WORDS = 'true, false, 1, 0, yes, no';

/** A boolean as scripts spell it (Python's `requests` sends `True`): true/false, 1/0, yes/no, in any case. */
export function booleanQuery(ctx: Context, name: string): boolean | undefined {
  const text = single(ctx, name);
  if (text === undefined) return undefined;
  const word = text.toLowerCase();
  if (TRUE_WORDS.includes(word)) return true;
  if (FALSE_WORDS.includes(word)) return false;
  throw invalid(`${name} must be one of ${BOOLEAN_WORDS} (in any case).`);
}

/** `limit` (1-500, any larger integer clamped, default 50, or `sizes`) and `offset` (>= 0, default 0) of contract §5.3. */
export function pageQuery(ctx: Context, { defaultLimit, maxLimit }: PageSizes = LIST_PAGE): { limit: number; offset: number } {
  const limit = Math.min(wholeNumber(ctx, 'limit', 1) ?? defaultLimit, maxLimit);
  const offset = wholeNumber(ctx, 'offset', 0) ?? 0;
  return { limit, offset };
}

/** `q`'s terms, folded, each once: at most MAX_TERMS of them. */
function searchTerms(q: string): string[] {
  const terms = foldText(q).split(/\s+/).filter(Boolean);
  if (terms.length > MAX_TERMS) throw invalid(`q may hold at most ${MAX_TERMS} terms; it holds ${terms.length}.`);
  return [...new Set(terms)];
}

/** `status`, beyond §5.3: one status, in any of the spellings a write accepts (`In Progress` is `in-progress`). */
function statusFilter(text: string | undefined): string | null {
  if (text === undefined || text.trim() === '') return null;
  return canonicalSlug(text);
}

/** The whole of §5.3's query string, validated; `now` and `recentDays` set what `recent` means. */
export function sessionQuery(ctx: Context, now: Date, recentDays: number): SessionQuery {
  const kind = single(ctx, 'kind');
  const daw = single(ctx, 'daw');
  if (kind !== undefined && daw !== undefined && kind.toLowerCase() !== daw.toLowerCase()) {
    throw invalid('kind and daw are the same filter (daw is an alias of kind): give one of them, or the same value in both.');
  }
  const chosenKind = kind ?? daw;
  const tagValues = ctx.query.tags === undefined ? [] : ([] as string[]).concat(ctx.query.tags);
  const recent = booleanQuery(ctx, 'recent');
  return {
    terms: searchTerms(single(ctx, 'q') ?? ''),
    kind: chosenKind === undefined || chosenKind.trim() === '' ? null : chosenKind.trim().toLowerCase(),
    status: statusFilter(single(ctx, 'status')),
    tags: [...new Set(tagValues.flatMap((value) => value.split(',')).map((tag) => tag.trim().toLowerCase()).filter(Boolean))],
    openedSince: recent ? wholeSecondsOf(new Date(now.getTime() - recentDays * DAY_MS)) : null,
    sort: oneOf<SortField>(ctx, 'sort', SORT_FIELDS) ?? null,
    order: oneOf<Direction>(ctx, 'order', ['asc', 'desc']) ?? null,
    ...pageQuery(ctx),
  };
}
