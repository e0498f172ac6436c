import type { Config } from '../config';
import { verifyLog } from '../store/verify';
import { withLog } from './log-access';

/** `sessiondock verify`: walks the whole log; exit 0 when it is sound, 1 with the first bad position. */
export async function verifyCommand(config: Config): Promise<number> {
  const result = await withLog(config, verifyLog);
  if (result.ok) {
    process.stdout.write(`ok: ${result.events} events, hash chain intact\n`);
    return 0;
  }
  process.stdout.write(`corrupt at position ${result.position}: ${result.problem}\n`);
  return 1;
}
