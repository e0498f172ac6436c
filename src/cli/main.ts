import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config';
import { isStoreError } from '../store';
import { serve } from './serve';
import { tokenCommand } from './token';

const USAGE = `Usage:
  sessiondock serve [--host H] [--port N] [--data-dir DIR] [--mode M] [--token-file FILE]
                    [--dangerously-listen-on-network]
  sessiondock token [--rotate] [--data-dir DIR] [--token-file FILE]

Environment: SESSIONDOCK_HOST, SESSIONDOCK_PORT, SESSIONDOCK_DATA_DIR, SESSIONDOCK_MODE, SESSIONDOCK_TOKEN.
Modes: disabled, read-only, full-automation.`;

const commonOptions = {
  'data-dir': { type: 'string' },
  'token-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const commandOptions = {
  serve: {
    ...commonOptions,
    host: { type: 'string' },
    port: { type: 'string' },
    mode: { type: 'string' },
    'dangerously-listen-on-network': { type: 'boolean' },
  },
  token: { ...commonOptions, rotate: { type: 'boolean' } },
} as const;

/** Exit codes: 0 done, 1 failed, 2 bad usage or configuration. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'serve' && command !== 'token') {
    process[command ? 'stderr' : 'stdout'].write(`${command && command !== '--help' ? `sessiondock: unknown command ${command}\n` : ''}${USAGE}\n`);
    return command && command !== '--help' ? 2 : 0;
  }
  let values: Record<string, string | boolean | undefined>;
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
    return command === 'serve' ? await serve(config) : tokenCommand(config, values.rotate === true);
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
