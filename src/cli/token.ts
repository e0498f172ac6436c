import type { Config } from '../config';
import { ensureTokenFile, generateToken, writeTokenFile } from '../token';

/** Prints the token; with `rotate`, replaces it first (a running server accepts only the new one). */
export function tokenCommand(config: Config, rotate: boolean): number {
  if (config.token) {
    if (rotate) {
      process.stderr.write('sessiondock: the token comes from SESSIONDOCK_TOKEN; change it there (the token file is not used)\n');
      return 1;
    }
    process.stdout.write(`${config.token}\n`);
    return 0;
  }
  if (rotate) {
    const token = generateToken();
    writeTokenFile(config.tokenFile, token);
    process.stdout.write(`${token}\n`);
    return 0;
  }
  process.stdout.write(`${ensureTokenFile(config.tokenFile).token}\n`);
  return 0;
}
