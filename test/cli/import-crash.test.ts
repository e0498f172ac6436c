import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenFile } from '../../src/token';
import { eventually } from '../helpers/eventually';
import { httpCall, type HttpResponse } from '../helpers/http';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/process';
import { TINY_WAV, tempProjects, type ProjectTree } from '../helpers/projects';
import { newDataDir } from '../helpers/server';

/*
 * Crash resume of a batch import (contract §7: "An import that was running when the server
 * stopped resumes on the next start, with no item done twice"), with real processes: a server
 * importing 2,000 project folders is killed with SIGKILL part-way, a new one on the same data
 * directory finishes the import, and every item ends with one outcome and every project path with
 * one live session; `sessiondock verify` then finds the log intact.
 */

type Json = Record<string, any>;

const FOLDERS = 2_000;
/** Paths given twice in the batch (at its end): skipped as duplicates, whichever side of the crash. */
const DUPLICATED = [5, 1_000, 1_999];
const KILL_AFTER = 200;

describe('import: crash resume (real processes)', function () {
  this.timeout(60_000);

  let dataDir: string;
  let tree: ProjectTree;
  const running: ServerProcess[] = [];

  beforeEach(() => {
    dataDir = newDataDir();
    tree = tempProjects();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => (server.child.exitCode === null && server.child.signalCode === null ? server.stop('SIGKILL') : null)));
    rmSync(dataDir, { recursive: true, force: true });
    tree.cleanup();
  });

  const serve = async () => {
    const server = await startServerProcess(['--port', '0', '--data-dir', dataDir]);
    running.push(server);
    return server;
  };

  it('given an import of 2,000 folders killed part-way, when a server restarts on the data dir, then it finishes with one outcome per item and one session per path', async () => {
    const started = Date.now();
    // Given 2,000 project folders, each with a tiny bounce (previews make each item a little heavier)
    const paths = Array.from({ length: FOLDERS }, (_, index) => {
      const name = `p${String(index).padStart(4, '0')}`;
      tree.file(`${name}/Bounces/${name}.wav`, TINY_WAV);
      return tree.path(name);
    });
    const items = [...paths, ...DUPLICATED.map((index) => paths[index])].map((projectPath) => ({ projectPath }));
    const total = items.length;

    // And a server importing them all, with generatePreviews
    const first = await serve();
    const headers = { Authorization: `Bearer ${readTokenFile(join(dataDir, 'token'))}` };
    const api = (server: ServerProcess, method: string, path: string, json?: unknown): Promise<HttpResponse> =>
      httpCall(`${server.baseUrl}${path}`, method, { headers, json });
    const accepted = await api(first, 'POST', '/import', { generatePreviews: true, items });
    assert.equal(accepted.status, 202, accepted.text);
    const { importId } = accepted.body.data;
    const statusOn = async (server: ServerProcess) => {
      const response = await api(server, 'GET', `/import/${importId}`);
      assert.equal(response.status, 200, response.text);
      return response.body.data as Json;
    };

    // When it is killed once at least 200 items are done, the import still running
    const partWay = await eventually(() => statusOn(first), (status) => status.completed >= KILL_AFTER || status.done, `${KILL_AFTER} items imported`, 30_000);
    first.child.kill('SIGKILL');
    assert.equal(partWay.done, false, `the import finished before the kill (${partWay.durationMs} ms): make the items heavier`);
    await new Promise((resolve) => first.child.once('exit', resolve));
    const killedAt = Date.now();

    // And a new server starts on the same data directory
    const second = await serve();
    const resumedLines = () =>
      second
        .stderr()
        .split('\n')
        .filter((line) => line.includes('"import resumed"'))
        .map((line) => JSON.parse(line));
    const resumed = await eventually(async () => resumedLines(), (lines) => lines.length > 0, 'the resume logged');
    assert.deepEqual(resumed.map((line) => [line.importId, line.total]), [[importId, total]], second.stderr());
    const status = await eventually(() => statusOn(second), (answer) => answer.done === true, 'the resumed import done', 40_000);
    const resumedIn = Date.now() - killedAt;

    // Then every item has exactly one outcome: 2,000 created, the duplicates skipped
    assert.equal(status.total, total);
    assert.deepEqual(
      status.items.map((item: Json) => item.index),
      Array.from({ length: total }, (_, index) => index),
    );
    assert.deepEqual([status.completed, status.failed, status.skipped], [FOLDERS, 0, DUPLICATED.length]);
    for (const item of status.items.slice(FOLDERS)) assert.equal(item.outcome, 'skipped', JSON.stringify(item));

    // And the log never gives one index two different outcomes
    const reports = new Map<number, Set<string>>();
    let reportCount = 0;
    /** Sessions created before the kill, and when their items were recorded: after it, for the ones the restart found. */
    const createdAt = new Map<string, number>();
    const recordedAt = new Map<string, number>();
    for (let after = 0; ; ) {
      const page = await api(second, 'GET', `/events?type=ImportItemProcessed&type=SessionCreated&after=${after}&limit=1000`);
      assert.equal(page.status, 200, page.text);
      for (const event of page.body.data) {
        if (event.type === 'SessionCreated') {
          createdAt.set(event.streamId, Date.parse(event.meta.at));
          continue;
        }
        if (event.streamId !== importId) continue;
        if (event.data.sessionId) recordedAt.set(event.data.sessionId, Date.parse(event.meta.at));
        reportCount += 1;
        const seen = reports.get(event.data.index) ?? new Set<string>();
        reports.set(event.data.index, seen.add(JSON.stringify([event.data.outcome, event.data.sessionId ?? null])));
      }
      if (page.body.meta.next === null) break;
      after = page.body.meta.next;
    }
    assert.equal(reports.size, total);
    const contradicted = [...reports].filter(([, seen]) => seen.size > 1);
    assert.deepEqual(contradicted, [], 'items reported with two different outcomes');

    // And each project path has exactly one live session, the one its item names
    const byPath = new Map<string, string[]>();
    let listed = 0;
    for (let offset = 0; ; offset += 500) {
      const page = await api(second, 'GET', `/sessions?limit=500&offset=${offset}`);
      assert.equal(page.status, 200, page.text);
      for (const session of page.body.data) byPath.set(session.projectPath, [...(byPath.get(session.projectPath) ?? []), session.id]);
      listed += page.body.data.length;
      if (listed >= page.body.meta.total) break;
    }
    assert.equal(listed, FOLDERS);
    assert.equal(byPath.size, FOLDERS);
    for (const item of status.items.slice(0, FOLDERS)) assert.deepEqual(byPath.get(item.projectPath), [item.sessionId], `sessions of ${item.projectPath}`);

    // And once stopped, the log verifies
    assert.equal(await second.stop('SIGTERM'), 0);
    const verify = await runCli(['verify', '--data-dir', dataDir], {}, 30_000);
    assert.equal(verify.code, 0, `${verify.stdout}${verify.stderr}`);

    const foundAfterCrash = [...createdAt].filter(([id, at]) => at < killedAt && (recordedAt.get(id) ?? 0) > killedAt).length;

    // (For the report: how the crash fell and how long the whole took.)
    // eslint-disable-next-line no-console
    console.log(
      `      killed at ${partWay.completed}/${total} done (${resumed[0].done} on record at restart); ${reportCount - total} duplicate reports; ${foundAfterCrash} sessions created before the kill and recorded after it; resumed in ${resumedIn} ms; whole test ${Date.now() - started} ms`,
    );
  });
});
