import assert from 'node:assert/strict';
import type { StoredEvent } from '../../events/envelope';
import { CATCH_UP_PAGE_EVENTS, CatchUpPages, type CatchUpPage } from '../../src/http/catch-up-pages';
import { newImportId } from '../../src/ids';
import { openMemoryStore } from '../../src/store';
import type { EventStore } from '../../src/store';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring } from '../helpers/hardening';
import { join } from 'node:path';
import { readTokenFile } from '../../src/token';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { newDataDir, startTestServer } from '../helpers/server';
import { consecutiveFrom } from '../helpers/stream-readers';
import { openIdCounter } from './streams-large-events-reader';
import { seedSessionEvents } from './streams-seed';

/*
 * Review finding B on issue 17: catch-up pages were capped at 128 events whatever their size, and
 * held each frame twice (per event and concatenated). With ImportRequested events of up to 16 MiB, a
 * page could reach gigabytes. Pages now end once their frames pass a byte budget and hold the
 * bytes once.
 */

const MiB = 1024 * 1024;
const frameOf = (event: StoredEvent) => Buffer.from(`id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);

/** Appends an ImportRequested of about `bytes`, and its ImportFinished, (items with paths of 4,000 characters), as a large import body makes one. */
async function appendLargeImport(store: EventStore, bytes: number): Promise<void> {
  const path = (kind: string, index: number) => `/${kind}/${String(index).padStart(6, '0')}/${'x'.repeat(3980)}`;
  const items = Array.from({ length: Math.ceil(bytes / 8_100) }, (_, index) => ({ projectPath: path('projects', index), previewAudioPath: path('previews', index) }));
  const meta = { at: new Date().toISOString(), requestId: 'seed', actor: 'test' };
  const importId = newImportId();
  await store.append(importId, 0, [{ type: 'ImportRequested', data: { kind: null, generatePreviews: false, items } }], meta);
  // Finished at once: a server started on the log has no import to resume, only a log to serve.
  await store.append(importId, 1, [{ type: 'ImportFinished', data: {} }], meta);
}

/** Small SessionCreated events with large ImportRequested ones between them; gives the sessions' ids. */
async function seedMixed(store: EventStore, bigSizes: number[], smallBetween: number): Promise<string[]> {
  const ids: string[] = [];
  for (const size of bigSizes) {
    ids.push(...(await seedSessionEvents(store, smallBetween, 100)));
    await appendLargeImport(store, size);
  }
  ids.push(...(await seedSessionEvents(store, smallBetween, 100)));
  return ids;
}

/** Every page from the start of the log, in order, as a client at `after` walks them. */
async function walk(pages: CatchUpPages, head: number, after = 0): Promise<CatchUpPage[]> {
  const walked: CatchUpPage[] = [];
  for (let position = after; position < head; ) {
    const page = await pages.pageAfter(position);
    assert.ok(page.first <= position + 1 && page.last > position, `the page ${page.first}..${page.last} holds ${position + 1}`);
    walked.push(page);
    position = page.last;
  }
  return walked;
}

describe('hardening: catch-up pages of large events are bounded in bytes (review finding B)', function () {
  this.timeout(120_000);

  describe('the pages', () => {
    it('end once their frames pass the budget (an event larger than it ends its page), each frame a view into the one Buffer', async () => {
      const store = await openMemoryStore();
      try {
        const budget = 2 * MiB;
        await seedMixed(store, [MiB, MiB, MiB, 3 * MiB, MiB, 5 * MiB], 10);
        const head = store.head().position;
        const pages = new CatchUpPages(store, { maxCachedBytes: 8 * MiB, maxConcurrentReads: 2, maxPageBytes: budget, frame: frameOf });
        const walked = await walk(pages, head);

        const positions = walked.flatMap((page) => page.events.map((event) => event.position));
        assert.deepEqual(positions, Array.from({ length: head }, (_, index) => index + 1), 'every event once, in order');
        const largest = Math.max(...walked.flatMap((page) => page.events.map((event) => event.frame.length)));
        for (const page of walked) {
          assert.ok(page.events.length <= CATCH_UP_PAGE_EVENTS);
          const withoutLast = page.all.length - page.events[page.events.length - 1].frame.length;
          assert.ok(withoutLast < budget, `page ${page.first}..${page.last} went on past the budget (${page.all.length} bytes)`);
          assert.ok(page.all.length < budget + largest);
          let offset = 0;
          for (const event of page.events) {
            assert.equal(event.frame.buffer, page.all.buffer, 'the frame is a view into the page');
            assert.equal(event.frame.byteOffset, page.all.byteOffset + offset);
            offset += event.frame.length;
          }
          assert.equal(offset, page.all.length);
        }
        for (const page of walked) {
          const larger = page.events.findIndex((event) => event.frame.length >= budget);
          assert.ok(larger === -1 || larger === page.events.length - 1, `page ${page.first}..${page.last}: an event larger than the budget ends its page`);
        }
        assert.ok(walked.length >= 4, `${walked.length} pages for ${head} events, all in one slot of ${CATCH_UP_PAGE_EVENTS}`);
        assert.ok(pages.stats().bytes <= 8 * MiB, `the cache holds ${pages.stats().bytes} bytes`);
      } finally {
        await store.close();
      }
    });

    it('share their pages between clients that start apart, once they meet at a slot boundary', async () => {
      const store = await openMemoryStore();
      try {
        await seedSessionEvents(store, 3 * CATCH_UP_PAGE_EVENTS, 100);
        const head = store.head().position;
        let framed = 0;
        const pages = new CatchUpPages(store, { maxCachedBytes: 64 * MiB, maxConcurrentReads: 2, frame: (event) => (framed += 1, frameOf(event)) });
        const fromStart = await walk(pages, head);
        assert.equal(framed, head);
        assert.equal(fromStart.length, 3);
        // A client in the middle of the first page is served from it; one past a boundary from the next.
        const fromMiddle = await walk(pages, head, 50);
        assert.deepEqual(fromMiddle, fromStart);
        assert.equal(framed, head, 'nothing framed twice');
        await assert.rejects(pages.pageAfter(head), /is not in the log/);
      } finally {
        await store.close();
      }
    });
  });

  describe('over HTTP', () => {
    let proc: ServerProcess | undefined;
    afterEach(async () => {
      if (proc && proc.child.exitCode === null) await proc.stop('SIGKILL');
      proc = undefined;
    });

    it('catches clients up on a log of 3-6 MiB ImportRequested events in order, with /health responsive and memory bounded (a real process)', async () => {
      // Written in process, served by a process of its own: /health then measures the server's
      // event loop, not the test's parsing of what its readers receive.
      const dataDir = newDataDir();
      const seeding = await startTestServer({}, { dataDir });
      const seeded = await seedMixed(seeding.server.store, [3 * MiB, 6 * MiB, 3 * MiB, 3 * MiB, 4 * MiB, 3 * MiB, 5 * MiB, 3 * MiB], 40);
      const head = seeding.server.store.head().position;
      await seeding.stop();
      proc = await startServerProcess(['--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1']);
      const running = proc;
      const token = readTokenFile(join(dataDir, 'token'));
      const target = { baseUrl: running.baseUrl, token };
      const idle = await idleHealthMs(target);
      const rssBefore = rssBytes(running.child.pid!);
      let peakRss = rssBefore;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(running.child.pid!))), 20);
      const starts = [0, 0, 150];
      try {
        const readers = await Promise.all(starts.map((after) => openIdCounter(`${running.baseUrl}/events/stream?after=${after}`, token)));
        const { slowestMs } = await slowestHealthDuring(target, Promise.all(readers.map((reader, index) => reader.waitForIds(head - starts[index], 60_000))));
        readers.forEach((reader, index) => {
          assert.ok(consecutiveFrom(reader.ids, starts[index] + 1), `reader ${index} got every event in order`);
          assert.equal(reader.errorEvents, 0);
        });
        console.log(`      ${head} events (${starts.length} clients) caught up; /health idle ${idle.toFixed(1)} ms, slowest ${slowestMs.toFixed(1)} ms`);
        // A 6 MiB event is parsed and framed in one go (no event can be split): that, not the page,
        // sets the floor here.
        assertHealthWithin(slowestMs, idle, { floorMs: 750 });
        readers.forEach((reader) => reader.close());
      } finally {
        clearInterval(sampler);
      }
      // About 30 MiB of large events: 128-event pages held each client's whole catch-up twice.
      console.log(`      server peak RSS growth during the catch-up ${((peakRss - rssBefore) / 2 ** 20).toFixed(0)} MB`);
      assertMemoryUnder(peakRss - rssBefore, 200, 'the server grew during the catch-up');
      await running.stop();
      await assertLogKeeps(dataDir, seeded);
    });
  });
});
