import { isAscii } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Items serialised per write: a large model is written out between requests, not in one go. */
const WRITE_CHUNK = 1000;
/**
 * Bytes read per call: one buffer, reused, rather than the whole file and its whole text at once.
 * Small enough that each piece's string is an ordinary young object (a larger one would be
 * allocated apart, on fresh pages, every time).
 */
const READ_CHUNK = 64 * 1024;
/** Every character JSON would write as more than one UTF-8 byte (and DEL). */
const NON_ASCII = /[\u007f-\uffff]/g;
const NEWLINE = 0x0a;

/** JSON in ASCII only: the rest as \u escapes, so that reading it back is a byte-for-byte copy, not UTF-8 decoding. */
const asciiJson = (value: unknown) => JSON.stringify(value).replace(NON_ASCII, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A read model as saved: its fold's version, the log position (and that event's hash) it reflects. */
export interface Snapshot {
  projection: string;
  version: number;
  position: number;
  hash: string;
  /** The model's items, in its canonical order. */
  data: unknown[];
}

type Header = Omit<Snapshot, 'data'> & { items: number };

/**
 * Snapshots of the read models, one file each under <data-dir>/snapshots, written atomically
 * (temporary file, fsync, rename): a reader finds the previous snapshot or the new one, never half.
 * A file is NDJSON in ASCII: a header line (with the number of items), then one line per item.
 * Read back a piece at a time, item by item: a 100,000-session model (about 65 MB) never exists
 * as one string, and no UTF-8 is decoded; both cost more at start-up than parsing the items did.
 */
export class SnapshotFiles {
  constructor(readonly directory: string) {}

  path(name: string): string {
    return join(this.directory, `${name}.ndjson`);
  }

  read(name: string): Snapshot | undefined {
    try {
      return readSnapshot(this.path(name));
    } catch {
      // Missing or unreadable: the model is rebuilt from the log, which is the truth anyway.
      return undefined;
    }
  }

  async write(snapshot: Snapshot): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const target = this.path(snapshot.projection);
    const temporary = `${target}.${process.pid}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      const { data, ...rest } = snapshot;
      const header: Header = { ...rest, items: data.length };
      await file.write(`${asciiJson(header)}\n`);
      for (let start = 0; start < data.length; start += WRITE_CHUNK) {
        await file.write(`${data.slice(start, start + WRITE_CHUNK).map(asciiJson).join('\n')}\n`);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
  }

  /**
   * Removes every snapshot file but the current ones of the models `names`: those of models no
   * longer kept, the one-document `<name>.json` of earlier builds, and the temporary file of a save
   * a crash cut short. Only while no save is under way (at start, before the first).
   */
  async prune(names: readonly string[]): Promise<void> {
    const current = new Set(names.map((name) => `${name}.ndjson`));
    const entries = await readdir(this.directory).catch((): string[] => []);
    const leftOver = entries.filter((entry) => !current.has(entry) && /\.(ndjson|json|tmp)$/.test(entry));
    await Promise.all(leftOver.map((entry) => rm(join(this.directory, entry), { force: true })));
  }
}

/** The snapshot in `path`; throws if it is not a whole one (a truncated file lacks items). */
function readSnapshot(path: string): Snapshot {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK);
    let header: Header | undefined;
    const data: unknown[] = [];
    // The start of a line that runs on past this piece: joined once its newline comes, so a long
    // line (a lane of a thousand notes is megabytes) is not copied and searched again per piece.
    const pieces: string[] = [];
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      const bytes = buffer.subarray(0, read);
      if (!isAscii(bytes)) throw new Error(`${path} is not ASCII: not a snapshot in this format`);
      let start = 0;
      for (let end = bytes.indexOf(NEWLINE); end !== -1; end = bytes.indexOf(NEWLINE, start)) {
        pieces.push(bytes.toString('latin1', start, end));
        const line = pieces.join('');
        pieces.length = 0;
        if (header) data.push(JSON.parse(line));
        else header = JSON.parse(line) as Header;
        start = end + 1;
      }
      if (start < read) pieces.push(bytes.toString('latin1', start, read));
    }
    if (!header || pieces.length > 0 || data.length !== header.items) throw new Error(`${path} is not a whole snapshot`);
    const { items: _items, ...snapshot } = header;
    return { ...snapshot, data };
  } finally {
    closeSync(fd);
  }
}
