import assert from 'node:assert/strict';
import { Level } from 'level';
import type { StoredEvent } from '../../events/envelope';
import { logDirectory } from '../../src/server';
import { EventLog, LevelBackend, recordsOf } from '../../src/store';
import { runCli } from '../helpers/process';
import { readAllEvents, startTestServer } from '../helpers/server';
import { meta, sessionCreated } from '../store/fixtures';

/** What a scripted history on a real server left: its data dir and the answers it gave. */
export interface ServerHistory {
  dataDir: string;
  events: StoredEvent[];
  /** Session ids in creation order; `deleted` is one of them. */
  ids: string[];
  deleted: string;
  /** GET /sessions?limit=100 (body) and GET /events?limit=1000 (body), as the server answered. */
  listing: any;
  apiEvents: any;
  origin: string;
}

/** Creates, patches, retags, re-notes and deletes sessions over HTTP, then stops the server. */
export async function serverHistory(): Promise<ServerHistory> {
  const server = await startTestServer();
  const ids: string[] = [];
  for (const title of ['Bass stems', 'Vocal comp', 'Drum edit', 'Synth pads']) {
    const created = await server.api('POST', '/sessions', { json: { title, kind: 'Ableton', tags: ['mix'] } });
    assert.equal(created.status, 201, created.text);
    ids.push(created.body.data.id);
  }
  const writes: Array<[string, string, unknown]> = [
    ['PATCH', `/sessions/${ids[0]}`, { status: 'in-progress', client: 'Acme' }],
    ['PUT', `/sessions/${ids[1]}/notes`, { notes: 'Second verse needs a new take.' }],
    ['PUT', `/sessions/${ids[2]}/tags`, { tags: ['drums', 'priority'] }],
    ['DELETE', `/sessions/${ids[3]}`, undefined],
    ['PATCH', `/sessions/${ids[0]}`, { title: 'Bass stems v2' }],
  ];
  for (const [method, path, json] of writes) {
    const response = await server.api(method, path, json === undefined ? {} : { json });
    assert.equal(response.status, 200, `${method} ${path}: ${response.text}`);
  }
  const listing = (await server.api('GET', '/sessions?limit=100')).body;
  const apiEvents = (await server.api('GET', '/events?limit=1000')).body;
  const events = await readAllEvents(server);
  await server.stop();
  return { dataDir: server.dataDir, events, ids, deleted: ids[3], listing, apiEvents, origin: server.origin };
}

/** A log of `count` events written straight through the event log (no server): for volume. */
export async function bulkLog(dataDir: string, count: number): Promise<void> {
  const log = await EventLog.open(new LevelBackend(logDirectory(dataDir)));
  for (let index = 0; index < count; index += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - index) }, (_, offset) =>
        log.append(`bulk-${index + offset}`, 0, [sessionCreated({ title: `Bulk ${index + offset} ${'x'.repeat(150)}` })], meta()),
      ),
    );
  }
  await log.close();
}

export const eventKey = (position: number) => `e!${String(position).padStart(16, '0')}`;

/** Opens the data dir's LevelDB directly (as a tampering operator would), runs `edit`, closes it. */
export async function editLog(dataDir: string, edit: (db: Level<string, string>) => Promise<void>): Promise<void> {
  const db = new Level<string, string>(logDirectory(dataDir), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  try {
    await edit(db);
  } finally {
    await db.close();
  }
}

/** Every stored record of the data dir's log, in order. */
export async function storedRecords(dataDir: string): Promise<string[]> {
  const backend = new LevelBackend(logDirectory(dataDir));
  await backend.load();
  const records: string[] = [];
  for await (const record of recordsOf(backend, 0)) records.push(record);
  await backend.close();
  return records;
}

export const runCliWithInput = (args: string[], input: string, timeoutMs = 15_000) => runCli(args, {}, timeoutMs, input);

export const IN_USE = /^sessiondock: the data directory .* is in use by another SessionDock server; stop it or choose another --data-dir\n$/;
