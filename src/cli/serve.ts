import type { Config } from '../config';
import { startServer } from '../server';

/** Runs the server until SIGINT or SIGTERM, then shuts down cleanly. Resolves to the exit code. */
export async function serve(config: Config): Promise<number> {
  const server = await startServer(config);
  const lines = [
    `SessionDock Local API listening on ${server.baseUrl}` +
      (server.hosts.length > 1 ? ` (also ${server.hosts.slice(1).map((host) => `http://[${host}]:${server.port}`).join(', ')})` : ''),
    `data dir: ${config.dataDir}`,
    `mode: ${config.mode}`,
    `token: ${server.tokenSource}${server.tokenCreated ? ' (new)' : ''}; print it with: sessiondock token`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.stdout.write(`${signal}: finishing ${server.requestsInFlight()} request(s) in flight and closing the log\n`);
      server.close().then(
        () => resolve(0),
        (error: Error) => {
          process.stderr.write(`sessiondock: shutdown failed: ${error.message}\n`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
