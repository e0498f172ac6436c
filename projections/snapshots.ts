import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { allItems, crc32Hex, openSnapshotFile, type SnapshotHeader, type SnapshotItems } from './snapshot-items';

/** Items serialised per write: a large model is written out between requests, not in one go. */
const WRITE_CHUNK = 1000;
/**
 * The bytes handed to CRC-32 and to the file at once. A string would be encoded into a buffer of
 * three bytes per character (Node's worst case): 2 MB for 1,000 sessions, which glibc serves with
 * its own mmap, and freeing such a buffer raises glibc's trim threshold for good (each thread's
 * malloc arena then keeps up to twice as much freed memory). 64 KiB stays under its 128 KiB.
 */
const WRITE_PIECE_BYTES = 64 * 1024;
/** Every character JSON would write as more than one UTF-8 byte (and DEL). */
const NON_ASCII = /[\u007f-\uffff]/g;

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

/** A snapshot as opened: its header, and its items still unparsed. */
export type OpenedSnapshot = Omit<Snapshot, 'data'> & { items: SnapshotItems };

/**
 * Snapshots of the read models, one file each under <data-dir>/snapshots, written atomically
 * (temporary file, fsync, rename): a reader finds the previous snapshot or the new one, never half.
 * A file is NDJSON in ASCII: a header line (the number of items, and their CRC-32), then one line
 * per item. Opening one checks it whole and finds its lines, but parses no item: a model parses
 * them when it needs them, so a 100,000-session model (about 65 MB) need not be parsed before the
 * server serves. No UTF-8 is decoded, and the text never exists as one string.
 */
export class SnapshotFiles {
  constructor(readonly directory: string) {}

  path(name: string): string {
    return join(this.directory, `${name}.ndjson`);
  }

  /** The snapshot, its items unparsed (the caller closes them); undefined if missing or not whole. */
  open(name: string): OpenedSnapshot | undefined {
    try {
      const { header, items } = openSnapshotFile(this.path(name));
      const { items: _count, crc32: _crc, ...snapshot } = header;
      return { ...snapshot, items };
    } catch {
      // Missing or unreadable: the model is rebuilt from the log, which is the truth anyway.
      return undefined;
    }
  }

  /** The snapshot with every item parsed; undefined if missing or not whole. */
  read(name: string): Snapshot | undefined {
    const opened = this.open(name);
    if (!opened) return undefined;
    const { items, ...snapshot } = opened;
    return { ...snapshot, data: allItems(items) };
  }

  async write(snapshot: Snapshot): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const target = this.path(snapshot.projection);
    const temporary = `${target}.${process.pid}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      const { data, ...rest } = snapshot;
      // Written first with a CRC of the right width, then again once the items' CRC is known.
      const headerLine = (crc: number) => `${asciiJson({ ...rest, items: data.length, crc32: crc32Hex(crc) } satisfies SnapshotHeader)}\n`;
      let position = (await file.write(headerLine(0))).bytesWritten;
      let crc = 0;
      for (let start = 0; start < data.length; start += WRITE_CHUNK) {
        const lines = `${data.slice(start, start + WRITE_CHUNK).map(asciiJson).join('\n')}\n`;
        for (let from = 0; from < lines.length; from += WRITE_PIECE_BYTES) {
          // ASCII: one byte per character, so latin1 encodes it as it is, at its length.
          const piece = Buffer.from(lines.slice(from, from + WRITE_PIECE_BYTES), 'latin1');
          crc = crc32(piece, crc);
          position += (await file.write(piece, 0, piece.length, position)).bytesWritten;
        }
      }
      await file.write(headerLine(crc), 0);
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
