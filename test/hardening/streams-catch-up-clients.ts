import { consecutiveFrom, openStreamReader } from '../helpers/stream-readers';

/*
 * Run as a process of its own by streams-catch-up.test.ts: opens `count` live-stream clients at
 * `?after=0` and reads each until it has `events` events, so that parsing what they receive does
 * not hold the event loop of the test that measures /health. Prints one JSON line: per client,
 * its status, how many events and whether they were consecutive from 1.
 */
async function main(): Promise<void> {
  const [url, token, count, events] = process.argv.slice(2);
  const readers = await Promise.all(Array.from({ length: Number(count) }, () => openStreamReader(url, token)));
  process.stdout.write(`opened ${readers.length}\n`);
  await Promise.all(readers.map((reader) => reader.waitForIds(Number(events), 90_000).catch(() => undefined)));
  const result = readers.map((reader) => ({ status: reader.status, events: reader.ids.length, consecutive: consecutiveFrom(reader.ids, 1) }));
  readers.forEach((reader) => reader.close());
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
