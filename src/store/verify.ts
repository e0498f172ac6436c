import { eventProblem, metaProblem } from '../../events/catalogue';
import type { StoredEvent } from '../../events/envelope';
import type { LogBackend } from './event-store';
import { GENESIS_HASH, chainHash } from './hash-chain';
import { recordsOf, STREAM_ID } from './event-log';

/*
 * The log's rules checked from the stored text alone: the core (`checkRecord`) judges one record
 * against what came before it and changes nothing; `verifyLog` walks a backend's whole log with it
 * and then compares the stored head, stream heads and stream index with what the walk saw.
 * `restore` runs the same core over the lines of a backup.
 */

/** What the records so far establish: the last position and hash and each stream's version. */
export interface ChainState {
  position: number;
  hash: string;
  streams: Map<string, number>;
}

export type RecordCheck = { ok: true; event: StoredEvent } | { ok: false; position: number; problem: string };

export type VerifyResult = { ok: true; events: number } | { ok: false; position: number; problem: string; events: number };

/** The keys of a stored event, in the order the log writes them (`hash-chain.ts`). */
const KEYS = ['position', 'streamId', 'version', 'type', 'schemaVersion', 'data', 'meta', 'hash'];
/** What the log accepts as a stream id (as `event-log.ts` checks on append). */
/** The stored text ends with the hash as its last key, exactly as `withHash` writes it. */
const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;

export const initialChainState = (): ChainState => ({ position: 0, hash: GENESIS_HASH, streams: new Map() });

/**
 * Whether `record` may follow `state`: it parses as an event of the stored shape, takes the next
 * position and the next version of its stream, fits its type's schema at its own schemaVersion and
 * the meta schema, and ends with the hash that chains it to the previous one. Pure: the state is
 * only read; `advance` records an accepted event.
 */
export function checkRecord(state: Readonly<ChainState>, record: string): RecordCheck {
  const expected = state.position + 1;
  const fail = (problem: string, position = expected): RecordCheck => ({ ok: false, position, problem });
  let parsed: unknown;
  try {
    parsed = JSON.parse(record);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('not a JSON object');
  const keys = Object.keys(parsed);
  if (keys.join() !== KEYS.join()) return fail(`has the keys ${keys.join(', ') || '(none)'}, not ${KEYS.join(', ')} in that order`);
  const event = parsed as StoredEvent;

  if (!Number.isSafeInteger(event.position)) return fail(`position ${JSON.stringify(event.position)} is not a whole number`);
  if (event.position > expected) return fail(`position ${expected} is missing: the next event is at position ${event.position}`);
  if (event.position !== expected) return fail(`position ${event.position} where ${expected} was expected`);

  const suffix = HASH_SUFFIX.exec(record);
  if (!suffix) return fail('does not end with a well-formed "hash" (64 lowercase hex digits, the last key)');
  const computed = chainHash(state.hash, `${record.slice(0, suffix.index)}}`);
  if (computed !== suffix[1]) return fail(`hash chain broken: the stored hash ${short(suffix[1])} is not the hash of this record after ${short(state.hash)} (${short(computed)})`);

  if (typeof event.streamId !== 'string' || !STREAM_ID.test(event.streamId)) return fail(`stream id ${JSON.stringify(event.streamId)} is not 1-128 letters, digits, _ or -`);
  const streamVersion = (state.streams.get(event.streamId) ?? 0) + 1;
  if (event.version !== streamVersion) return fail(`stream ${event.streamId} is at version ${JSON.stringify(event.version)} where ${streamVersion} was expected`);

  if (typeof event.type !== 'string') return fail(`type ${JSON.stringify(event.type)} is not a string`);
  if (!Number.isSafeInteger(event.schemaVersion)) return fail(`schemaVersion ${JSON.stringify(event.schemaVersion)} is not a whole number`);
  const problem = eventProblem(event.type, event.schemaVersion, event.data) ?? metaProblem(event.meta);
  if (problem) return fail(problem);
  return { ok: true, event };
}

/** Records an event `checkRecord` accepted: it becomes the last one of the log and of its stream. */
export function advance(state: ChainState, event: StoredEvent): void {
  state.position = event.position;
  state.hash = event.hash;
  state.streams.set(event.streamId, event.version);
}

/**
 * Walks the whole log once with `checkRecord`, then checks that the stored head, every stream
 * head and the stream index agree with the events. Reports the first problem found.
 */
export async function verifyLog(backend: LogBackend): Promise<VerifyResult> {
  const { head } = await backend.load();
  const state = initialChainState();
  // Each stream's positions in version order, to check the stream index against.
  const positions = new Map<string, number[]>();
  let events = 0;
  for await (const record of recordsOf(backend, 0)) {
    const check = checkRecord(state, record);
    if (!check.ok) return { ...check, events };
    advance(state, check.event);
    const stream = positions.get(check.event.streamId);
    if (stream) stream.push(check.event.position);
    else positions.set(check.event.streamId, [check.event.position]);
    events += 1;
  }
  const problem =
    headProblem(state, head) ??
    streamHeadProblem(positions, await storedHeads(backend)) ??
    (await streamIndexProblem(positions, backend.readStreamIndex()));
  return problem ? { ok: false, ...problem, events } : { ok: true, events };
}

type Problem = { position: number; problem: string } | null;

async function storedHeads(backend: LogBackend): Promise<Map<string, number>> {
  const heads = new Map<string, number>();
  for await (const [streamId, version] of backend.readStreamHeads()) heads.set(streamId, version);
  return heads;
}

function headProblem(state: ChainState, head: { position: number; hash: string }): Problem {
  if (head.position > state.position) {
    return { position: state.position + 1, problem: `the stored head is at position ${head.position} but the log ends at position ${state.position}` };
  }
  if (head.position < state.position) {
    return { position: head.position + 1, problem: `the log goes on to position ${state.position} past the stored head at position ${head.position}` };
  }
  if (head.hash !== state.hash) {
    return { position: state.position, problem: `the stored head's hash ${short(head.hash)} is not the last event's hash ${short(state.hash)}` };
  }
  return null;
}

function streamHeadProblem(positions: ReadonlyMap<string, number[]>, heads: ReadonlyMap<string, number>): Problem {
  for (const [streamId, stream] of positions) {
    const head = heads.get(streamId);
    if (head !== stream.length) {
      return {
        position: stream[stream.length - 1],
        problem: `stream ${streamId} has ${stream.length} event(s) but its stored head ${head === undefined ? 'is missing' : `says version ${head}`}`,
      };
    }
  }
  for (const [streamId, head] of heads) {
    if (!positions.has(streamId)) return { position: 0, problem: `stream ${streamId} has a stored head (version ${head}) but no events in the log` };
  }
  return null;
}

/** The index lists every stream by version: each (stream, version) once, pointing at that event. */
async function streamIndexProblem(
  positions: ReadonlyMap<string, number[]>,
  index: AsyncIterable<{ streamId: string; version: number; position: number }>,
): Promise<Problem> {
  const seen = new Map<string, number>();
  for await (const { streamId, version, position } of index) {
    const stream = positions.get(streamId);
    const next = (seen.get(streamId) ?? 0) + 1;
    if (!stream || version > stream.length || version < 1) {
      return { position: 0, problem: `the stream index has ${streamId} version ${version} (position ${position}), an event the log does not hold` };
    }
    if (version > next) {
      return { position: stream[next - 1], problem: `the stream index lacks ${streamId} version ${next}` };
    }
    if (stream[version - 1] !== position) {
      return { position: stream[version - 1], problem: `the stream index points ${streamId} version ${version} at position ${position}, not ${stream[version - 1]}` };
    }
    seen.set(streamId, version);
  }
  for (const [streamId, stream] of positions) {
    const indexed = seen.get(streamId) ?? 0;
    if (indexed < stream.length) return { position: stream[indexed], problem: `the stream index lacks ${streamId} version ${indexed + 1}` };
  }
  return null;
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;
