import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config';
import { isStoreError } from '../store/errors';

const USAGE = `Usage:
  sessiondock serve [--host H] [--port N] [--data-dir DIR] [--mode M] [--token-file FILE]
                    [--opener COMMAND] [--dangerously-listen-on-network]
  sessiondock token [--rotate] [--data-dir DIR] [--token-file FILE]
  sessiondock ui [--no-open] [--port N] [--data-dir DIR] [--token-file FILE] [--opener COMMAND]
                      a one-time sign-in link to the running server's web app (2 minutes), opened
                      with the opener unless --no-open
  sessiondock events [--data-dir DIR] [--after N] [--session ID] [--type T]... [--json]
                      the event log as a table, or NDJSON with --json
  sessiondock verify [--data-dir DIR]
                      checks the whole log: exit 0 if sound, 1 naming the first bad position
  sessiondock rebuild [--data-dir DIR] [--projection NAME]
                      rebuilds the read models from the log and checks them against the snapshots
  sessiondock export [--data-dir DIR] > backup.ndjson
  sessiondock restore [--data-dir DIR] < backup.ndjson
                      into an absent or empty data directory; a bad line restores nothing
  sessiondock openapi [--port N] > openapi.json
                      the OpenAPI 3.1 document a server on that port serves at /openapi.json

Environment: SESSIONDOCK_HOST, SESSIONDOCK_PORT, SESSIONDOCK_DATA_DIR, SESSIONDOCK_MODE, SESSIONDOCK_TOKEN,
  SESSIONDOCK_OPENER.
Modes: disabled, read-only, full-automation.`;

const commonOptions = {
  'data-dir': { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The log commands read or write the data directory's event log only. */
const logOptions = {
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const commandOptions = {
  serve: {
    ...commonOptions,
    host: { type: 'string' },
    port: { type: 'string' },
    mode: { type: 'string' },
    opener: { type: 'string' },
    'dangerously-listen-on-network': { type: 'boolean' },
  },
  token: { ...commonOptions, rotate: { type: 'boolean' } },
  ui: { ...commonOptions, host: { type: 'string' }, port: { type: 'string' }, opener: { type: 'string' }, 'no-open': { type: 'boolean' } },
  events: {
    ...logOptions,
    after: { type: 'string' },
    session: { type: 'string' },
    type: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  verify: logOptions,
  rebuild: { ...logOptions, projection: { type: 'string' } },
  export: logOptions,
  restore: logOptions,
  openapi: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
} as const;

type Command = keyof typeof commandOptions;
const isCommand = (command: string | undefined): command is Command => command !== undefined && Object.hasOwn(commandOptions, command);

/** Exit codes: 0 done, 1 failed, 2 bad usage or configuration. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!isCommand(command)) {
    process[command ? 'stderr' : 'stdout'].write(`${command && command !== '--help' ? `sessiondock: unknown command ${command}\n` : ''}${USAGE}\n`);
    return command && command !== '--help' ? 2 : 0;
  }
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: rest, options: commandOptions[command], strict: true, allowPositionals: false }).values as typeof values;
  } catch (error) {
    process.stderr.write(`sessiondock: ${(error as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig({
      flags: {
        host: values.host,
        port: values.port,
        dataDir: values['data-dir'],
        mode: values.mode,
        tokenFile: values['token-file'],
        opener: values.opener,
        dangerouslyListenOnNetwork: values['dangerously-listen-on-network'],
      },
      env: process.env,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`sessiondock: ${error.message}\n`);
    return 2;
  }
  try {
    // Each command loads only its own modules: `sessiondock token`, which a launcher may run before
    // every call, need not load the server (a third of a second).
    const run: Record<Command, () => Promise<number>> = {
      serve: async () => (await import('./serve.js')).serve(config),
      token: async () => (await import('./token.js')).tokenCommand(config, values.rotate === true),
      ui: async () => (await import('./ui.js')).uiCommand(config, values['no-open'] !== true),
      events: async () => (await import('./events.js')).eventsCommand(config, values),
      verify: async () => (await import('./verify.js')).verifyCommand(config),
      rebuild: async () => (await import('./rebuild.js')).rebuildCommand(config, values.projection as string | undefined),
      export: async () => (await import('./export.js')).exportCommand(config),
      restore: async () => (await import('./restore.js')).restoreCommand(config),
      openapi: async () => (await import('./openapi.js')).openapiCommand(config),
    };
    return await run[command]();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sessiondock: ${error.message}\n`);
      return 2;
    }
    if (isStoreError(error, 'STORE_LOCKED')) {
      process.stderr.write(`sessiondock: the data directory ${config.dataDir} is in use by another SessionDock server; stop it or choose another --data-dir\n`);
      return 1;
    }
    const { code, message } = error as NodeJS.ErrnoException;
    process.stderr.write(`sessiondock: ${code === 'EADDRINUSE' ? `port ${config.port} is already in use; choose another --port` : message}\n`);
    return 1;
  }
}
