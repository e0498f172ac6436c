import { readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';

const CHUNK = 1000;
import { join } from 'node:path';

/** A read model as saved: its fold's version, the log position (and that event's hash) it reflects. */
export interface Snapshot {
  projection: string;
  version: number;
  position: number;
  hash: string;
  /** The model's items, in its canonical order. */
  data: unknown[];
}

/**
 * Snapshots of the read models, one JSON file each under <data-dir>/snapshots, written atomically
 * (temporary file, fsync, rename): a reader finds the previous snapshot or the new one, never half.
 */
export class SnapshotFiles {
  constructor(readonly directory: string) {}

  private path(name: string): string {
    return join(this.directory, `${name}.json`);
  }

  read(name: string): Snapshot | undefined {
    try {
      return JSON.parse(readFileSync(this.path(name), 'utf8')) as Snapshot;
    } catch {
      // Missing or unreadable: the model is rebuilt from the log, which is the truth anyway.
      return undefined;
    }
  }

  /**
   * Writes a snapshot, its data (an array) a thousand items at a time: a large model is written
   * out between requests instead of holding the event loop for the whole serialisation.
   */
  async write(snapshot: Snapshot): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const target = this.path(snapshot.projection);
    const temporary = `${target}.${process.pid}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      const { data, ...header } = snapshot;
      const items = data as unknown[];
      await file.write(`${JSON.stringify(header).slice(0, -1)},"data":[`);
      for (let start = 0; start < items.length; start += CHUNK) {
        const chunk = items.slice(start, start + CHUNK).map((item) => JSON.stringify(item)).join(',');
        await file.write(start === 0 ? chunk : `,${chunk}`);
      }
      await file.write(']}');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
  }
}
