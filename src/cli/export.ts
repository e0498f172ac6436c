import type { Config } from '../config';
import { recordsOf } from '../store';
import { withLog } from './log-access';
import { Output } from './output';

/** `sessiondock export`: every stored record, one per line, byte for byte, so the hashes still verify. */
export function exportCommand(config: Config): Promise<number> {
  return withLog(config, async (backend) => {
    await backend.load();
    const output = new Output(process.stdout);
    for await (const record of recordsOf(backend, 0)) await output.write(`${record}\n`);
    await output.end();
    return 0;
  });
}
