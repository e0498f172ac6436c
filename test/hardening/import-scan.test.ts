import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { discoverAudio, folderKind, MAX_DISCOVERED_PREVIEWS, MAX_ENTRIES_PER_FOLDER, MAX_ENTRIES_PER_PROJECT } from '../../src/import/discover';
import { NewestFiles } from '../../src/import/newest-files';
import { MAX_OUTCOMES_PER_APPEND, OutcomeWriter } from '../../src/import/outcome-writer';
import { planItem } from '../../src/import/plan';
import { normalisedPath } from '../../src/project-path';
import type { NewEvent } from '../../events/envelope';
import { minutesAgo, tempProjects, TINY_WAV, type ProjectTree } from '../helpers/projects';

/*
 * Finding 5's parts: the bounded scan of a project folder, the newest-N keeper, path
 * normalisation, and the writer that puts an import's outcomes together in one append.
 */

describe('hardening: the import scan, paths and outcome writer (finding 5)', function () {
  this.timeout(60_000);
  let tree: ProjectTree;

  beforeEach(() => {
    tree = tempProjects();
  });

  afterEach(() => {
    tree.cleanup();
  });

  describe('NewestFiles', () => {
    it('keeps the newest N of any number offered, newest first, ties by path', () => {
      const newest = new NewestFiles(3);
      for (const [path, mtime] of [['/a', 5], ['/b', 9], ['/c', 1], ['/d', 9], ['/e', 7], ['/f', 0]] as const) newest.offer(path, mtime);
      assert.deepEqual(newest.paths(), ['/b', '/d', '/e']);
    });

    it('given fewer than N, keeps them all in order; given none, nothing', () => {
      const newest = new NewestFiles(32);
      assert.deepEqual(newest.paths(), []);
      newest.offer('/old', 1);
      newest.offer('/new', 2);
      assert.deepEqual(newest.paths(), ['/new', '/old']);
    });
  });

  describe('normalisedPath', () => {
    it('resolves every spelling of an absolute path to one', () => {
      for (const spelling of ['/tmp/big', '/tmp/./big', '/tmp//big', '/tmp/big/', '/tmp/x/../big', '/tmp/big/.', '//tmp/./././big//']) {
        assert.equal(normalisedPath(spelling), '/tmp/big', spelling);
      }
    });

    it('keeps text that is not an absolute path of this platform as given', function () {
      if (process.platform === 'win32') this.skip();
      for (const text of ['C:\\evil\\..\\x', 'C:/music/./a', 'relative/./path']) assert.equal(normalisedPath(text), text);
    });
  });

  describe('discoverAudio on folders larger than its bounds', () => {
    /** Counts the stats discovery makes and the most under way at once (it calls fs/promises' stat through the module). */
    const realStat = fsPromises.stat;
    let stats = { calls: 0, running: 0, most: 0 };
    beforeEach(() => {
      stats = { calls: 0, running: 0, most: 0 };
      (fsPromises as { stat: unknown }).stat = async (...args: Parameters<typeof realStat>) => {
        stats.calls += 1;
        stats.running += 1;
        stats.most = Math.max(stats.most, stats.running);
        try {
          return await realStat(...args);
        } finally {
          stats.running -= 1;
        }
      };
    });
    afterEach(() => {
      (fsPromises as { stat: unknown }).stat = realStat;
    });

    it('stats no more than MAX_ENTRIES_PER_FOLDER files of one folder, 4 at a time, and keeps the 32 newest of those', async () => {
      const folder = tree.folder('big');
      const total = MAX_ENTRIES_PER_FOLDER + 1_000;
      for (let index = 0; index < total; index += 1) writeFileSync(join(folder, `t${index}.wav`), '');
      const found = await discoverAudio(folder);
      assert.equal(found.length, MAX_DISCOVERED_PREVIEWS);
      assert.equal(stats.calls, MAX_ENTRIES_PER_FOLDER);
      assert.ok(stats.most <= 4, `${stats.most} stats at once`);
    });

    it('stops after MAX_ENTRIES_PER_PROJECT entries across the folder and its render subfolders', async () => {
      const folder = tree.folder('song');
      for (const sub of ['Bounces', 'Exports', 'Renders', 'Mixdown']) {
        mkdirSync(join(folder, sub));
        for (let index = 0; index < MAX_ENTRIES_PER_FOLDER; index += 1) writeFileSync(join(folder, sub, `${sub}-${index}.wav`), '');
      }
      const found = await discoverAudio(folder);
      assert.equal(found.length, MAX_DISCOVERED_PREVIEWS);
      // The top folder's four entries count too.
      assert.equal(stats.calls, MAX_ENTRIES_PER_PROJECT - 4);
      assert.ok(stats.most <= 4, `${stats.most} stats at once`);
    });

    it('given a few files, stats each once and orders them newest first', async () => {
      const folder = tree.folder('small');
      tree.file('small/old.wav', '', minutesAgo(30));
      tree.file('small/Bounces/new.wav', '', minutesAgo(1));
      tree.file('small/mid.wav', '', minutesAgo(10));
      assert.deepEqual(await discoverAudio(folder), [tree.path('small/Bounces/new.wav'), tree.path('small/mid.wav'), tree.path('small/old.wav')]);
      assert.equal(stats.calls, 3);
    });
  });

  describe('folderKind on a large folder', () => {
    it('takes the first project file by name among the entries it looks at', async () => {
      const folder = tree.folder('Song B');
      for (let index = 0; index < 500; index += 1) writeFileSync(join(folder, `z-${index}.wav`), '');
      tree.file('Song B/b.flp');
      tree.file('Song B/a.als');
      assert.equal(await folderKind(folder), 'Ableton');
    });
  });

  describe('planItem normalises paths', () => {
    it('stores the resolved project path and preview path, whatever the spelling', async () => {
      tree.folder('Song C');
      const bounce = tree.file('Song C/Bounces/mix.wav', TINY_WAV);
      const plan = await planItem({ projectPath: `${tree.root}/./Song C/x/..//`, previewAudioPath: `${tree.root}//Song C/./Bounces/mix.wav` }, { kind: null, generatePreviews: true });
      assert.equal(plan.projectPath, tree.path('Song C'));
      assert.equal(plan.title, 'Song C');
      // The given preview once, even though discovery finds it under its resolved name.
      assert.deepEqual(plan.previews.map((preview) => preview.path), [bounce]);
    });
  });

  describe('OutcomeWriter', () => {
    const outcome = (index: number) => ({ index, outcome: 'skipped' as const, reason: 'a session with this projectPath already exists' });

    it('writes the outcomes recorded while an append is under way together in the next, at most MAX_OUTCOMES_PER_APPEND each', async () => {
      const appends: NewEvent[][] = [];
      const writer = new OutcomeWriter(async (events) => {
        appends.push(events);
        await new Promise((resolve) => setImmediate(resolve));
      });
      const total = 1 + MAX_OUTCOMES_PER_APPEND + 10;
      await Promise.all(Array.from({ length: total }, (_, index) => writer.record(outcome(index))));
      assert.deepEqual(appends.map((events) => events.length), [1, MAX_OUTCOMES_PER_APPEND, 10]);
      assert.deepEqual(appends.flat().map((event) => [event.type, event.data.index]), Array.from({ length: total }, (_, index) => ['ImportItemProcessed', index]));
    });

    it('rejects the outcomes of an append that fails with its error, and writes later ones', async () => {
      let calls = 0;
      const written: number[] = [];
      const writer = new OutcomeWriter(async (events) => {
        calls += 1;
        await new Promise((resolve) => setImmediate(resolve));
        if (calls === 2) throw new Error('the disk is full');
        written.push(...events.map((event) => event.data.index as number));
      });
      const first = writer.record(outcome(0));
      const failing = [writer.record(outcome(1)), writer.record(outcome(2))];
      await first;
      for (const attempt of failing) await assert.rejects(attempt, /the disk is full/);
      await writer.record(outcome(3));
      assert.deepEqual(written, [0, 3]);
    });
  });
});
