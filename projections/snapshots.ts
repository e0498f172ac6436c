import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A read model as saved: its fold's version, the log position (and that event's hash) it reflects. */
export interface Snapshot {
  projection: string;
  version: number;
  position: number;
  hash: string;
  data: unknown;
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

  write(snapshot: Snapshot): void {
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    const target = this.path(snapshot.projection);
    const temporary = `${target}.${process.pid}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(snapshot));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
  }
}
