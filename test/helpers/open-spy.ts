import nodeFs = require('node:fs');

/**
 * Records every path the server opens through fs.promises.open while `run` runs: the server runs
 * in this process and looks the function up on the node:fs module at call time.
 */
export async function recordingOpens<T>(run: () => Promise<T>): Promise<{ result: T; opened: string[] }> {
  const promises = nodeFs.promises as unknown as { open: (...args: unknown[]) => Promise<unknown> };
  const original = promises.open;
  const opened: string[] = [];
  promises.open = function (this: unknown, ...args: unknown[]) {
    opened.push(String(args[0]));
    return original.apply(this, args);
  };
  try {
    return { result: await run(), opened };
  } finally {
    promises.open = original;
  }
}
