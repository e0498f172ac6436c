import { isDeepStrictEqual } from 'node:util';
import { createReadModels } from '../../projections/read-models';
import { ProjectionRunner } from '../../projections/runner';
import { SnapshotFiles } from '../../projections/snapshots';
import type { Config } from '../config';
import { ConfigError } from '../config';
import { snapshotDirectory } from '../server';
import { EventLog } from '../store';
import { withLog } from './log-access';

const BAR_WIDTH = 30;

/** Progress on a terminal as one bar redrawn in place; elsewhere a plain line every tenth of the way. */
function progressReporter(out: NodeJS.WriteStream, started: number) {
  let lastTenth = -1;
  // Called for every event replayed: the rate is worked out only for a line that is printed.
  const rateAt = (position: number) => Math.round(position / Math.max((performance.now() - started) / 1000, 0.001));
  return (position: number, head: number) => {
    const fraction = head === 0 ? 1 : position / head;
    if (out.isTTY) {
      if (position % 1000 !== 0 && position !== head) return;
      const filled = Math.round(fraction * BAR_WIDTH);
      out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(fraction * 100)}% ${position}/${head} events, ${rateAt(position)} events/s`);
      if (position === head) out.write('\n');
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      out.write(`${tenth * 10}%: ${position}/${head} events, ${rateAt(position)} events/s\n`);
    }
  };
}

/**
 * Rebuilds the read models from the whole log, ignoring their snapshots, checks them against what
 * the server's incremental path (snapshot + tail) gives, and saves them as the new snapshots. Exit
 * 1 if they differ: the rebuilt snapshot is kept all the same, since the log is the truth.
 */
export async function rebuildCommand(config: Config, only: string | undefined): Promise<number> {
  const names: string[] = createReadModels().all.map((projection) => projection.name);
  if (only !== undefined && !names.includes(only)) throw new ConfigError(`unknown projection ${only}: one of ${names.join(', ')}`);
  return withLog(config, async (backend) => {
    const store = await EventLog.open(backend);
    const snapshots = new SnapshotFiles(snapshotDirectory(config.dataDir));
    // The rebuild first, on a heap that holds nothing else yet: the events/s printed are its own.
    const rebuilt = createReadModels({ maxIdempotencyKeys: config.maxIdempotencyKeys }).all.filter((projection) => only === undefined || projection.name === only);
    const started = performance.now();
    const runner = new ProjectionRunner(store, rebuilt, { snapshots, ignoreSavedSnapshots: true, onReplay: progressReporter(process.stdout, started) });
    await runner.start();
    runner.stop();
    const seconds = (performance.now() - started) / 1000;
    const events = store.head().position;
    process.stdout.write(`rebuilt ${rebuilt.map((projection) => projection.name).join(', ')} from ${events} events in ${seconds.toFixed(2)} s (${Math.round(events / Math.max(seconds, 0.001))} events/s)\n`);

    // Then what the server would load: the snapshots still on disk, and the tail after them.
    const incremental = createReadModels({ maxIdempotencyKeys: config.maxIdempotencyKeys }).all;
    const incrementalRunner = new ProjectionRunner(store, incremental, { snapshots });
    await incrementalRunner.start();
    incrementalRunner.stop();

    let differ = false;
    for (const projection of rebuilt) {
      const same = isDeepStrictEqual(projection.snapshot(), incremental.find((model) => model.name === projection.name)!.snapshot());
      process.stdout.write(`${projection.name}: ${same ? 'equals the incremental model' : 'DIFFERS from the incremental model'}\n`);
      differ ||= !same;
    }
    await runner.saveSnapshots();
    return differ ? 1 : 0;
  });
}
