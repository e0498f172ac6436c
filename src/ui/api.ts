/*
 * The app's client of the public Local API: the same routes, envelopes and codes any client sees.
 * It signs in with the UI cookie (sent by the browser), marks its writes with the CSRF header the
 * server asks of cookie writes, and retries `overloaded` after the Retry-After it is given.
 */

export const API_BASE = '/api/v1';
const CSRF_HEADER = { 'X-SessionDock-CSRF': '1' };
const MAX_OVERLOADED_RETRIES = 3;
const MAX_RETRY_AFTER_S = 10;

export interface FieldProblem {
  field: string;
  message: string;
}

/** An error answer of the API, as the contract's envelope carries it. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }
}

export interface ListMeta {
  total: number;
  limit: number;
  offset: number;
  next?: number | null;
  head?: number;
}

export interface Answer<T> {
  data: T;
  meta?: ListMeta;
  etag: string | null;
  status: number;
}

export interface CallOptions {
  query?: Record<string, string | number | boolean | readonly string[] | null | undefined>;
  body?: unknown;
  ifMatch?: string | number;
  signal?: AbortSignal;
}

type Listener = (failure: ApiFailure) => void;
const failureListeners = new Set<Listener>();

/** Called with every failure (e.g. to show the sign-in link on 401). */
export function onFailure(listener: Listener): () => void {
  failureListeners.add(listener);
  return () => failureListeners.delete(listener);
}

export function apiUrl(path: string, query: CallOptions['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((item) => params.append(name, item));
    else params.set(name, String(value));
  }
  const search = params.toString();
  return `${API_BASE}${path}${search ? `?${search}` : ''}`;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
  const write = method !== 'GET';
  const headers: Record<string, string> = { Accept: 'application/json', ...(write ? CSRF_HEADER : {}) };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.ifMatch !== undefined) headers['If-Match'] = `"${options.ifMatch}"`;
  for (let attempt = 0; ; attempt += 1) {
    let response: Response;
    try {
      response = await fetch(apiUrl(path, options.query), {
        method,
        headers,
        credentials: 'same-origin',
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw report(new ApiFailure(0, 'unreachable', 'The SessionDock server cannot be reached.'));
    }
    const retryAfter = Number(response.headers.get('Retry-After'));
    if (response.status === 503 && attempt < MAX_OVERLOADED_RETRIES && Number.isFinite(retryAfter)) {
      await sleep(Math.min(Math.max(retryAfter, 0.2), MAX_RETRY_AFTER_S) * 1000, options.signal);
      continue;
    }
    const envelope = await response.json().catch(() => null);
    if (!response.ok) {
      const error = envelope?.error;
      throw report(new ApiFailure(response.status, error?.code ?? 'internal_error', error?.message ?? `The server answered ${response.status}.`, error?.details ?? []));
    }
    return { data: envelope?.data as T, meta: envelope?.meta, etag: response.headers.get('ETag'), status: response.status };
  }
}

function report(failure: ApiFailure): ApiFailure {
  failureListeners.forEach((listener) => listener(failure));
  return failure;
}

export const get = <T>(path: string, options?: CallOptions) => call<T>('GET', path, options);
