import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { StoredEvent } from '../../events/envelope';
import { newSessionData } from '../../src/commands/create-session';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionsProjection, SORT_FIELDS, type SessionQuery } from '../../projections/sessions';
import { itemsOf } from '../../projections/snapshot-items';
import { SnapshotFiles } from '../../projections/snapshots';
import { ValueIndex } from '../../projections/value-index';

/*
 * The tag, kind and order indexes, the word index and the folded titles are built the first time a
 * query reads them and kept by every change after that. Whenever the first read comes, the answers
 * must be those of an index built from the final items at once.
 */

const TAGS = ['mix', 'Mix', 'MIX', 'vocals', 'Vocals', 'edm', 'café', 'Café'];
const KINDS = ['Ableton', 'ableton', 'Logic Pro', 'Reaper'];
const TITLES = ['Alpha', 'alpha', 'Émile', 'emile', 'Zed', 'Bass & Drums'];
const PATHS = ['/music/a.als', '/music/A.als', '/music/b.logicx'];

describe('ValueIndex: built on first read, then kept', () => {
  type Item = { values: string[] };
  const snapshotOf = (index: ValueIndex<Item>) =>
    [...index.byKey()].map(([key, { slots, spellings }]) => [key, [...slots.matching([])], [...spellings].sort()]).sort();

  it('given changes before and after the first read, then the entries of an index built from the final items', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ slot: fc.integer({ min: 0, max: 7 }), values: fc.option(fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }), { nil: undefined }) }), { maxLength: 40 }),
        fc.nat(40),
        (changes, firstReadAt) => {
          const items: Array<Item | undefined> = [];
          const all = { slotLimit: () => items.length, itemAt: (slot: number) => items[slot] };
          const followed = new ValueIndex<Item>((item) => item.values, all);
          for (const [step, { slot, values }] of changes.entries()) {
            if (step === firstReadAt) followed.byKey();
            const after = values && { values };
            followed.update(slot, items[slot], after);
            items[slot] = after;
          }
          const fresh = new ValueIndex<Item>((item) => item.values, all);
          assert.deepEqual(snapshotOf(followed), snapshotOf(fresh));
        },
      ),
    );
  });
});

describe('sessions read model: queried during the fold or only at the end, the same answers', () => {
  const sessionIds = ['session_A', 'session_B', 'session_C', 'session_D', 'session_E'];
  const FILLERS = 80;
  type Step = { session: number; change: 'create' | 'title' | 'kind' | 'tags' | 'path' | 'open' | 'delete'; title: string; kind: string; tags: string[]; path: string | null; query: boolean };
  const stepArb: fc.Arbitrary<Step> = fc.record({
    session: fc.nat(sessionIds.length - 1),
    change: fc.constantFrom('create', 'title', 'kind', 'tags', 'path', 'open', 'delete'),
    title: fc.constantFrom(...TITLES),
    kind: fc.constantFrom(...KINDS),
    tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3, comparator: (a, b) => a.toLowerCase() === b.toLowerCase() }),
    path: fc.option(fc.constantFrom(...PATHS), { nil: null }),
    query: fc.boolean(),
  });

  /** The events the steps make, versioned per stream as the log would (a change to a session that does not exist makes none). */
  function eventsOf(steps: Step[]): Array<{ event: StoredEvent; queryBefore: boolean }> {
    const versions = sessionIds.map(() => 0);
    const live = sessionIds.map(() => false);
    const events: Array<{ event: StoredEvent; queryBefore: boolean }> = [];
    // Sessions no filtered query matches: with them a filter finds few, and its matches are sorted
    // by their own keys (folded titles included) rather than found by walking an order.
    for (let filler = 0; filler < FILLERS; filler += 1) {
      const data = newSessionData({ title: 'zzz', kind: 'Filler' }) as unknown as Record<string, unknown>;
      const event = { position: events.length + 1, streamId: `session_F${filler}`, version: 1, type: 'SessionCreated', schemaVersion: 2, data, meta: { at: '2025-12-31T00:00:00.000Z', requestId: `f${filler}`, actor: 'test' }, hash: 'h' };
      events.push({ event, queryBefore: false });
    }
    for (const [index, step] of steps.entries()) {
      const streamId = sessionIds[step.session];
      const data = {
        create: () => newSessionData({ title: step.title, kind: step.kind, tags: step.tags, projectPath: step.path }),
        title: () => ({ title: step.title }),
        kind: () => ({ kind: step.kind }),
        tags: () => ({ tags: step.tags }),
        path: () => ({ projectPath: step.path }),
        open: () => ({}),
        delete: () => ({}),
      }[step.change]();
      const type = { create: 'SessionCreated', title: 'SessionUpdated', kind: 'SessionUpdated', tags: 'SessionTagsReplaced', path: 'SessionUpdated', open: 'SessionOpened', delete: 'SessionDeleted' }[step.change];
      if ((step.change === 'create') === live[step.session]) continue;
      live[step.session] = step.change !== 'delete';
      versions[step.session] += 1;
      const at = new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString();
      const event = { position: events.length + 1, streamId, version: versions[step.session], type, schemaVersion: 2, data: data as Record<string, unknown>, meta: { at, requestId: `r${index}`, actor: 'test' }, hash: 'h' };
      events.push({ event, queryBefore: step.query });
    }
    return events;
  }

  const queries: SessionQuery[] = [
    ...SORT_FIELDS.flatMap((sort) => (['asc', 'desc'] as const).map((order) => ({ sort, order }))),
    { sort: null, order: null },
  ].flatMap(({ sort, order }) => [
    { terms: [], kind: null, tags: [], openedSince: null, sort, order, limit: 50, offset: 0 },
    { terms: [], kind: 'ableton', tags: ['mix'], openedSince: null, sort, order, limit: 50, offset: 0 },
    { terms: ['emile'], kind: null, tags: [], openedSince: null, sort, order, limit: 50, offset: 0 },
    { terms: ['al'], kind: null, tags: ['vocals'], openedSince: '2026-01-01T00:00:00Z', sort, order, limit: 2, offset: 1 },
  ]);
  const answersOf = (model: SessionsProjection) => ({
    pages: queries.map((query) => {
      const { items, total } = model.list(query);
      return { ids: items.map((session) => session.id), total };
    }),
    tags: model.tagCounts(),
    paths: PATHS.map((path) => model.hasProjectPath(path)),
  });

  it('given queries at random points of the fold, then every answer is that of a model first queried at the end', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const queriedAlong = new SessionsProjection();
        const queriedAtTheEnd = new SessionsProjection();
        for (const { event, queryBefore } of eventsOf(steps)) {
          if (queryBefore) answersOf(queriedAlong);
          queriedAlong.apply(event);
          queriedAtTheEnd.apply(event);
        }
        assert.deepEqual(answersOf(queriedAlong), answersOf(queriedAtTheEnd));
      }),
      { numRuns: 200 },
    );
  });

  describe('restored from a snapshot, its sessions parsed only when read', () => {
    let directory: string;
    before(() => (directory = mkdtempSync(join(tmpdir(), 'sessiondock-lazy-'))));
    after(() => rmSync(directory, { recursive: true, force: true }));

    type Read = 'none' | 'query' | 'get' | 'slice';
    const readArb = fc.constantFrom<Read>('none', 'none', 'none', 'none', 'query', 'get', 'slice');

    /** Folds everything into one model; snapshots another at `cut`, restores it as `restore` says, and folds the rest with reads along the way. */
    async function compare(steps: Step[], cut: number, reads: Read[], restore: 'file' | 'memory') {
      const events = eventsOf(steps).map(({ event }) => event);
      const whole = new SessionsProjection();
      const first = new SessionsProjection();
      for (const event of events) whole.apply(event);
      for (const event of events.slice(0, cut)) first.apply(event);

      const restored = new SessionsProjection();
      if (restore === 'file') {
        const files = new SnapshotFiles(directory);
        await files.write({ projection: 'sessions', version: 1, position: cut, hash: 'h', data: first.snapshot() });
        restored.restore(files.open('sessions')!.items);
      } else {
        restored.restore(itemsOf(JSON.parse(JSON.stringify(first.snapshot()))));
      }
      assert.equal(restored.count(), first.count());
      // `first` folds on beside it: at every point, what the restored model should answer.
      for (const [index, event] of events.slice(cut).entries()) {
        const read = reads[index % reads.length];
        if (read === 'query') assert.deepEqual(answersOf(restored), answersOf(first));
        if (read === 'get') assert.deepEqual(restored.get(event.streamId), first.get(event.streamId));
        if (read === 'slice') restored.parsePending(3);
        restored.apply(event);
        first.apply(event);
      }
      assert.equal(restored.count(), whole.count());
      for (const id of [...sessionIds, 'session_F0', 'session_F79']) assert.deepEqual(restored.get(id), whole.get(id), id);
      assert.deepEqual(answersOf(restored), answersOf(whole));
      assert.deepEqual(restored.snapshot(), whole.snapshot());
      assert.equal(restored.parsePending(), false, 'everything parsed once every session was needed');
    }

    for (const restore of ['file', 'memory'] as const) {
      it(`given a snapshot (${restore === 'file' ? 'a file, each session parsed when read' : 'in memory, every session parsed at once'}) and the rest of the fold with reads along it, then the answers of the model that folded everything`, async () => {
        await fc.assert(
          // Cut among the steps' events (the fillers come first and never change after).
          fc.asyncProperty(fc.array(stepArb, { minLength: 10, maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.array(readArb, { minLength: 1, maxLength: 8 }), async (steps, share, reads) => {
            const stepEvents = eventsOf(steps).length - FILLERS;
            await compare(steps, FILLERS + Math.floor(share * stepEvents), reads, restore);
          }),
          { numRuns: restore === 'file' ? 100 : 30 },
        );
      });
    }

    it('given a restored model, when a slice at a time is parsed, then it says when none are left and closes the file', async () => {
      const model = new SessionsProjection();
      for (const { event } of eventsOf([])) model.apply(event);
      const files = new SnapshotFiles(directory);
      await files.write({ projection: 'sessions', version: 1, position: 80, hash: 'h', data: model.snapshot() });
      const items = files.open('sessions')!.items;
      const restored = new SessionsProjection();
      restored.restore(items);
      let slices = 1;
      while (restored.parsePending(25)) slices += 1;
      assert.equal(slices, Math.ceil(FILLERS / 25));
      assert.throws(() => items.item(0), /closed/);
      assert.deepEqual(restored.snapshot(), model.snapshot());
    });

    it('refuses to restore into a model that holds sessions', () => {
      const model = new SessionsProjection();
      for (const { event } of eventsOf([])) model.apply(event);
      assert.throws(() => model.restore(itemsOf(model.snapshot())), /only when empty/);
    });
  });
});
