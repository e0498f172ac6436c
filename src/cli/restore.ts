import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../config';
import { logDirectory } from '../server';
import { LevelBackend, type SerializedEvent } from '../store';
import { advance, checkRecord, initialChainState } from '../store/verify';

const BATCH = 1000;

/**
 * `sessiondock restore < backup.ndjson`: into an absent or empty data dir only. Each line is
 * checked with verify's rules as it is read and written in batches to a temporary sibling
 * directory, which is moved into place only when every line passed: a bad line leaves nothing.
 */
export async function restoreCommand(config: Config, input: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const target = config.dataDir;
  const refusal = targetProblem(target);
  if (refusal) {
    process.stderr.write(`sessiondock: cannot restore into ${target}: ${refusal}; restore only into an absent or empty data directory\n`);
    return 2;
  }
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.restore-`));
  let moved = false;
  try {
    const result = await restoreInto(logDirectory(staging), input);
    if ('problem' in result) {
      process.stderr.write(`sessiondock: restore stopped, nothing was restored: line ${result.line}: ${result.problem}\n`);
      return 1;
    }
    if (targetProblem(target)) throw new Error(`${target} changed during the restore; nothing was restored`);
    // rename() does not replace a directory everywhere: the empty target goes first.
    if (existsSync(target)) rmdirSync(target);
    renameSync(staging, target);
    moved = true;
    process.stdout.write(`restored ${result.events} events into ${target}\n`);
    return 0;
  } finally {
    if (!moved) rmSync(staging, { recursive: true, force: true });
  }
}

function targetProblem(target: string): string | null {
  let entries: string[];
  try {
    entries = readdirSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return entries.length > 0 ? `it is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''})` : null;
}

async function restoreInto(location: string, input: NodeJS.ReadableStream): Promise<{ events: number } | { line: number; problem: string }> {
  const backend = new LevelBackend(location);
  try {
    await backend.load();
    const state = initialChainState();
    let batch: SerializedEvent[] = [];
    let touched = new Map<string, number>();
    const flush = async () => {
      if (batch.length === 0) return;
      await backend.write(batch, touched, { position: state.position, hash: state.hash });
      batch = [];
      touched = new Map();
    };
    let line = 0;
    for await (const record of lines(input)) {
      line += 1;
      const check = checkRecord(state, record);
      if (!check.ok) return { line, problem: check.problem };
      advance(state, check.event);
      batch.push({ event: check.event, json: record });
      touched.set(check.event.streamId, check.event.version);
      if (batch.length === BATCH) await flush();
    }
    await flush();
    return { events: state.position };
  } finally {
    await backend.close();
  }
}

/** The lines of a stream (without their \n or \r\n), read as the consumer asks for them. */
async function* lines(input: NodeJS.ReadableStream): AsyncIterable<string> {
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const part of parts) yield part.endsWith('\r') ? part.slice(0, -1) : part;
  }
  if (rest) yield rest;
}
