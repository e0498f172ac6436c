import assert from 'node:assert/strict';
import { AnalysisBacklog, type AnalysisBacklogLimits, type BackgroundAnalysis, type BacklogOutcome } from '../../src/analysis-backlog';
import { garbageWav } from '../helpers/audio';
import { eventually } from '../helpers/eventually';
import { assertHealthWithin, assertLogKeeps, assertMemoryUnder, idleHealthMs, rssBytes, slowestHealthDuring, type HealthTarget } from '../helpers/hardening';
import { tempProjects, type ProjectTree } from '../helpers/projects';
import { newDataDir, startTestServer, type TestServer } from '../helpers/server';

/*
 * Review finding A on issue 17: background analyses (import, attach, start-up) were queued on the
 * analysis pool without limit, and past its 1,000 waiting the rest were refused and their variants
 * stayed `pending` for good. They now go through a backlog that feeds the pool a few at a time and
 * finds what it could not hold again from the read model.
 */

type Json = any;

/** A stand-in for the analysis and the read model: analyses end when the test says, `pending` is what is not yet done. */
class FakeAnalyses {
  readonly variants: BackgroundAnalysis[];
  readonly done = new Set<string>();
  readonly started: string[] = [];
  running = 0;
  peakRunning = 0;
  recordable = true;
  private readonly finishers: Array<(outcome: BacklogOutcome) => void> = [];
  /** Outcomes to give, in order, before `done`; `auto` ends every analysis at once. */
  outcomes: BacklogOutcome[] = [];
  auto = false;

  constructor(count: number) {
    this.variants = Array.from({ length: count }, (_, index) => ({ sessionId: `s${index % 3}`, variantId: `v${index}`, path: `/p/${index}.wav` }));
  }

  deps() {
    return {
      analyse: (item: BackgroundAnalysis) => {
        this.started.push(item.variantId);
        this.running += 1;
        this.peakRunning = Math.max(this.peakRunning, this.running);
        return new Promise<BacklogOutcome>((resolve) => {
          const finish = (outcome: BacklogOutcome) => {
            this.running -= 1;
            if (outcome === 'done') this.done.add(item.variantId);
            resolve(outcome);
          };
          if (this.auto) setImmediate(() => finish(this.outcomes.shift() ?? 'done'));
          else this.finishers.push(finish);
        });
      },
      pending: (limit: number, skip: (item: BackgroundAnalysis) => boolean) =>
        this.variants.filter((item) => !this.done.has(item.variantId) && !skip(item)).slice(0, limit),
      canRecord: () => this.recordable,
    };
  }

  finishOne(outcome: BacklogOutcome = 'done'): void {
    const finish = this.finishers.shift();
    assert.ok(finish, 'an analysis is running');
    finish(outcome);
  }
}

const limits = (overrides: Partial<AnalysisBacklogLimits> = {}): AnalysisBacklogLimits => ({ maxRunning: 2, maxQueued: 5, retryDelayMs: 20, ...overrides });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('hardening: background analyses wait in a bounded backlog (review finding A)', function () {
  this.timeout(120_000);

  describe('the backlog', () => {
    it('hands the pool at most maxRunning at once, in the order asked, each variant once', async () => {
      const fake = new FakeAnalyses(4);
      const backlog = new AnalysisBacklog(fake.deps(), limits());
      for (const item of fake.variants) backlog.add(item);
      backlog.add(fake.variants[0]);
      backlog.add(fake.variants[3]);
      assert.deepEqual(fake.started, ['v0', 'v1']);
      assert.deepEqual(backlog.stats(), { queued: 2, running: 2, unqueued: false, retrying: false });
      fake.finishOne();
      await settle();
      assert.deepEqual(fake.started, ['v0', 'v1', 'v2']);
      for (let left = 3; left > 0; left -= 1) {
        fake.finishOne();
        await settle();
      }
      await eventually(async () => backlog.stats(), (stats) => stats.running === 0 && stats.queued === 0, 'the backlog drained');
      assert.deepEqual(fake.started, ['v0', 'v1', 'v2', 'v3']);
      assert.equal(fake.peakRunning, 2);
    });

    it('given more than maxQueued, then it holds maxQueued and finds the rest again in the read model when it drains', async () => {
      const fake = new FakeAnalyses(40);
      fake.auto = true;
      const backlog = new AnalysisBacklog(fake.deps(), limits());
      let peakQueued = 0;
      for (const item of fake.variants) {
        backlog.add(item);
        peakQueued = Math.max(peakQueued, backlog.stats().queued);
      }
      assert.equal(peakQueued, 5);
      assert.equal(backlog.stats().unqueued, true);
      await eventually(async () => fake.done.size, (done) => done === 40, 'every variant analysed');
      assert.equal(fake.peakRunning, 2);
      assert.equal(new Set(fake.started).size, 40);
      assert.deepEqual(backlog.stats(), { queued: 0, running: 0, unqueued: false, retrying: false });
    });

    it('given everything pending at start-up, then it analyses all of it, a queue at a time', async () => {
      const fake = new FakeAnalyses(23);
      fake.auto = true;
      const backlog = new AnalysisBacklog(fake.deps(), limits({ maxRunning: 1, maxQueued: 4 }));
      backlog.addAllPending();
      assert.ok(backlog.stats().queued <= 4);
      await eventually(async () => fake.done.size, (done) => done === 23, 'every pending variant analysed');
      assert.equal(fake.peakRunning, 1);
    });

    it('given the pool or the log cannot take an analysis now, then it is tried again after the delay, not dropped', async () => {
      const fake = new FakeAnalyses(3);
      fake.auto = true;
      fake.outcomes = ['retry', 'retry'];
      const backlog = new AnalysisBacklog(fake.deps(), limits({ maxRunning: 1, retryDelayMs: 30 }));
      for (const item of fake.variants) backlog.add(item);
      await eventually(async () => backlog.stats().retrying, (retrying) => retrying, 'a retry scheduled');
      await eventually(async () => fake.done.size, (done) => done === 3, 'every variant analysed in the end');
      // v0 and v1 could not be taken: the queue went on, and found them again in the read model once drained.
      assert.deepEqual(fake.started, ['v0', 'v1', 'v2', 'v0', 'v1']);
    });

    it('given writes are not allowed, then it starts nothing until they are', async () => {
      const fake = new FakeAnalyses(3);
      fake.auto = true;
      fake.recordable = false;
      const backlog = new AnalysisBacklog(fake.deps(), limits({ retryDelayMs: 20 }));
      for (const item of fake.variants) backlog.add(item);
      await eventually(async () => backlog.stats().retrying, (retrying) => retrying, 'a retry scheduled');
      assert.deepEqual(fake.started, []);
      fake.recordable = true;
      await eventually(async () => fake.done.size, (done) => done === 3, 'every variant analysed once writes are allowed');
    });

    it('given it is stopped, then nothing more starts, whatever is asked or retried', async () => {
      const fake = new FakeAnalyses(6);
      const backlog = new AnalysisBacklog(fake.deps(), limits({ maxRunning: 1, retryDelayMs: 10 }));
      for (const item of fake.variants) backlog.add(item);
      backlog.stop();
      fake.finishOne('retry');
      backlog.add({ sessionId: 'later', variantId: 'late', path: '/late.wav' });
      backlog.addAllPending();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(fake.started, ['v0']);
      assert.deepEqual(backlog.stats(), { queued: 0, running: 0, unqueued: true, retrying: false });
    });
  });

  describe('over HTTP, with a backlog far smaller than the previews', () => {
    let tree: ProjectTree;
    let server: TestServer | undefined;

    beforeEach(() => {
      tree = tempProjects('sessiondock-backlog-');
    });

    afterEach(async () => {
      await server?.dispose();
      server = undefined;
      tree.cleanup();
    });

    const target = (running: TestServer): HealthTarget => ({ baseUrl: running.baseUrl, token: running.token });

    async function everyVariant(running: TestServer): Promise<Json[]> {
      const response = await running.api('GET', '/sessions?limit=500');
      assert.equal(response.status, 200, response.text);
      return response.body.data.flatMap((session: Json) => session.previews);
    }

    const statusCounts = async (running: TestServer) => {
      const counts: Record<string, number> = { total: 0 };
      for (const variant of await everyVariant(running)) {
        counts.total += 1;
        counts[variant.status] = (counts[variant.status] ?? 0) + 1;
      }
      return counts;
    };

    /** Waits until there are `expected` variants and none is pending (the failure message gives the counts); gives the variants. */
    const nonePending = async (running: TestServer, expected: number, deadlineMs = 90_000) => {
      await eventually(() => statusCounts(running), (counts) => counts.total === expected && !counts.pending, `every one of ${expected} variants ready or failed`, deadlineMs);
      return everyVariant(running);
    };

    it('given imports and attaches of 50 previews through a backlog of 4, then every variant ends ready or failed, with /health responsive', async () => {
      const FOLDERS = 10;
      const BOUNCES = 4;
      const ATTACHED = 10;
      server = await startTestServer({ analysisWorkers: 1 }, { analysisBacklog: { maxRunning: 1, maxQueued: 4, retryDelayMs: 50 } });
      const running = server;
      const idle = await idleHealthMs(target(running));
      const rssBefore = rssBytes();

      const work = (async () => {
        const items = Array.from({ length: FOLDERS }, (_, folder) => {
          for (let bounce = 0; bounce < BOUNCES; bounce += 1) tree.wav(`Song ${folder}/Bounces/Song ${folder} v${bounce}.wav`, { seconds: 0.05 });
          return { projectPath: tree.path(`Song ${folder}`) };
        });
        const imported = await running.api('POST', '/import', { json: { generatePreviews: true, items } });
        assert.equal(imported.status, 202, imported.text);
        const created = await running.api('POST', '/sessions', { json: { title: 'Attached by hand' } });
        assert.equal(created.status, 201, created.text);
        for (let index = 0; index < ATTACHED; index += 1) {
          const path = index % 2 === 0 ? tree.wav(`loose/take ${index}.wav`, { seconds: 0.05 }) : tree.file(`loose/broken ${index}.wav`, garbageWav());
          const attached = await running.api('POST', `/sessions/${created.body.data.id}/previews`, { json: { path } });
          assert.equal(attached.status, 201, attached.text);
        }
        await eventually(() => running.api('GET', `/import/${imported.body.data.importId}`), (status) => status.body.data.done === true, 'the import done', 60_000);
        return nonePending(running, FOLDERS * BOUNCES + ATTACHED);
      })();
      const { result: variants, slowestMs } = await slowestHealthDuring(target(running), work);

      assertHealthWithin(slowestMs, idle);
      assertMemoryUnder(rssBytes() - rssBefore, 200, 'the test process grew');
      assert.equal(variants.filter((variant) => variant.status === 'ready').length, FOLDERS * BOUNCES + ATTACHED / 2);
      assert.equal(variants.filter((variant) => variant.status === 'failed').length, ATTACHED / 2);
      assert.deepEqual(running.logs.filter((line) => /preview analysis failed|preview status not recorded/.test(line)), []);

      const ids = (await running.api('GET', '/sessions?limit=500')).body.data.map((session: Json) => session.id);
      await running.stop();
      await assertLogKeeps(running.dataDir, ids);
    });

    it('given one import of 35 folders with 32 bounces each (1,120 previews, past the pool\'s 1,000 waiting), then none stays pending and nothing is refused', async () => {
      const FOLDERS = 35;
      const BOUNCES = 32;
      server = await startTestServer({ analysisWorkers: 1 });
      const running = server;
      const items = Array.from({ length: FOLDERS }, (_, folder) => {
        for (let bounce = 0; bounce < BOUNCES; bounce += 1) tree.wav(`Album ${folder}/Bounces/Track ${folder}-${bounce}.wav`, { seconds: 0.01, sampleRate: 8000 });
        return { projectPath: tree.path(`Album ${folder}`) };
      });
      const idle = await idleHealthMs(target(running));
      const rssBefore = rssBytes();
      const work = (async () => {
        const imported = await running.api('POST', '/import', { json: { generatePreviews: true, items } });
        assert.equal(imported.status, 202, imported.text);
        return nonePending(running, FOLDERS * BOUNCES);
      })();
      const started = Date.now();
      const { result: variants, slowestMs } = await slowestHealthDuring(target(running), work);
      const grownMb = (rssBytes() - rssBefore) / 2 ** 20;
      console.log(`      ${FOLDERS * BOUNCES} previews analysed in ${Date.now() - started} ms; /health idle ${idle.toFixed(1)} ms, slowest ${slowestMs.toFixed(1)} ms; RSS grew ${grownMb.toFixed(0)} MB`);
      assertHealthWithin(slowestMs, idle);
      assertMemoryUnder(rssBytes() - rssBefore, 300, 'the test process grew');
      assert.ok(variants.every((variant) => variant.status === 'ready'));
      assert.deepEqual(running.logs.filter((line) => /preview analysis failed|already waiting/.test(line)), []);
      const ids = (await running.api('GET', '/sessions?limit=500')).body.data.map((session: Json) => session.id);
      await running.stop();
      await assertLogKeeps(running.dataDir, ids);
    });

    it('given variants left pending by a stop, when the server starts again, then it analyses every one of them through the backlog', async () => {
      const VARIANTS = 12;
      const dataDir = newDataDir();
      // A backlog that hands nothing to the pool: every variant is still pending at the stop.
      const first = await startTestServer({ analysisWorkers: 1 }, { dataDir, analysisBacklog: { maxRunning: 0, maxQueued: 4, retryDelayMs: 50 } });
      const created = await first.api('POST', '/sessions', { json: { title: 'Pending at the stop' } });
      assert.equal(created.status, 201, created.text);
      for (let index = 0; index < VARIANTS; index += 1) {
        const attached = await first.api('POST', `/sessions/${created.body.data.id}/previews`, { json: { path: tree.wav(`left/take ${index}.wav`, { seconds: 0.05 }) } });
        assert.equal(attached.status, 201, attached.text);
      }
      assert.equal((await everyVariant(first)).filter((variant) => variant.status === 'pending').length, VARIANTS);
      await first.stop();

      server = await startTestServer({ analysisWorkers: 1 }, { dataDir, analysisBacklog: { maxRunning: 1, maxQueued: 3, retryDelayMs: 50 } });
      const variants = await nonePending(server, VARIANTS);
      assert.ok(variants.every((variant) => variant.status === 'ready'));
      const id = created.body.data.id as string;
      await server.stop();
      await assertLogKeeps(dataDir, [id]);
    });
  });
});
