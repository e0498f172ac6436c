import { isIP, connect } from 'node:net';
import type { Config } from '../config';
import { launchAndWatch, resolveOpener } from '../opener';
import { mintLoginCode } from '../sign-in/login-codes';
import { tokenSigner } from '../sign-in/signer';
import { readTokenFile } from '../token';
import { loginLink } from '../http/sign-in';

/** How long the CLI waits to see whether the opener failed. */
const OPENER_SETTLE_MS = 1500;
const PROBE_TIMEOUT_MS = 1000;

/** The origin a server with this configuration answers on, as its banner gives it. */
export function originOf(config: Pick<Config, 'host' | 'port'>): string {
  const host = config.host === 'localhost' ? '127.0.0.1' : config.host;
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${config.port}`;
}

/**
 * `sessiondock ui`: a fresh one-time sign-in link to the running server's web app, printed, and
 * opened with the configured opener unless `open` is false. The code is signed with the token
 * (the environment's or the data directory's), which the server checks: nothing is shared but it.
 */
export async function uiCommand(config: Config, open: boolean): Promise<number> {
  let token: string;
  try {
    token = config.token ?? readTokenFile(config.tokenFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    process.stderr.write(`sessiondock: there is no token yet at ${config.tokenFile}: start the server first (sessiondock serve)\n`);
    return 1;
  }
  const origin = originOf(config);
  const host = config.host === 'localhost' ? '127.0.0.1' : config.host;
  if (!(await answers(host, config.port))) {
    process.stderr.write(`sessiondock: no server answers at ${origin}: start it with sessiondock serve (or pass its --port)\n`);
    return 1;
  }
  const link = loginLink(origin, mintLoginCode(tokenSigner(token), Date.now()));
  process.stdout.write(`${link}\n`);
  if (!open) return 0;
  const opener = resolveOpener(config.opener, process.platform, process.env);
  if (opener === null) {
    process.stderr.write('sessiondock: no opener is available: open the link above in a browser (within two minutes)\n');
    return 1;
  }
  try {
    await launchAndWatch(opener, link, OPENER_SETTLE_MS);
    return 0;
  } catch (error) {
    process.stderr.write(`sessiondock: ${(error as Error).message}: open the link above in a browser (within two minutes)\n`);
    return 1;
  }
}

/** Whether something accepts connections there: a link to a server that is not running is worth nothing. */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
