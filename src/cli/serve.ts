import type { Config } from '../config';
import { boundHeapGrowth } from '../heap-growth';
import { startServer } from '../server';

/**
 * Runs the server until SIGINT or SIGTERM, then shuts down cleanly. Resolves to the exit code.
 * The handlers are in place before anything is printed: a supervisor that signals as soon as it
 * reads the "listening" line must never meet the default action (an abrupt kill).
 */
export async function serve(config: Config): Promise<number> {
  let signalled: (signal: NodeJS.Signals) => void = () => {};
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve));
  process.once('SIGINT', signalled);
  process.once('SIGTERM', signalled);

  const server = await startServer(config);
  // After the start-up replay: while the read models are being built, V8's own growth saves full collections.
  boundHeapGrowth();
  const lines = [
    `SessionDock Local API listening on ${server.baseUrl}` +
      (server.hosts.length > 1 ? ` (also ${server.hosts.slice(1).map((host) => `http://[${host}]:${server.port}`).join(', ')})` : ''),
    `data dir: ${config.dataDir}`,
    `mode: ${config.mode}`,
    `token: ${server.tokenSource}${server.tokenCreated ? ' (new)' : ''}; print it with: sessiondock token`,
    `web app: ${server.loginLink()} (one-time sign-in link, 2 minutes; a new one: sessiondock ui)` +
      (server.uiBuilt ? '' : '\nweb app not built: run npm run build, then restart the server'),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const signal = await stopRequested;
  process.stdout.write(`${signal}: finishing ${server.requestsInFlight()} request(s) in flight and closing the log\n`);
  try {
    await server.close();
    return 0;
  } catch (error) {
    process.stderr.write(`sessiondock: shutdown failed: ${(error as Error).message}\n`);
    return 1;
  }
}
