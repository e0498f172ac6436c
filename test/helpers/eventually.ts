import assert from 'node:assert/strict';

/** Polls `probe` until `accept` holds or the deadline passes: for what a timer or a file watch does. */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string, deadlineMs = 5_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: T = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${deadlineMs} ms; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    last = await probe();
  }
  return last;
}
