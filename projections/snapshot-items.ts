import { isAscii } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * A snapshot's items, each parsed only when asked for: a model may keep some of them unparsed
 * until a query needs them. Whoever restores from them closes them once done.
 */
export interface SnapshotItems {
  readonly length: number;
  item(index: number): unknown;
  /**
   * The item's first member, when it is `key` with a string value that has no escapes in it, read
   * without parsing the item; undefined otherwise.
   */
  leadingString(index: number, key: string): string | undefined;
  close(): void;
}

/** Items already in memory (a model restored from another's `snapshot()`). */
export const itemsOf = (data: readonly unknown[]): SnapshotItems => ({
  length: data.length,
  item: (index) => data[index],
  leadingString: () => undefined,
  close: () => undefined,
});

/** Every item parsed, then the items closed: for a model that keeps none of them for later. */
export function allItems(items: SnapshotItems): unknown[] {
  try {
    return Array.from({ length: items.length }, (_, index) => items.item(index));
  } finally {
    items.close();
  }
}

/** What a snapshot file's first line says: the header the items follow. */
export interface SnapshotHeader {
  projection: string;
  version: number;
  position: number;
  hash: string;
  /** How many item lines follow. */
  items: number;
  /** CRC-32 of every byte after the header line, as 8 hex digits. */
  crc32: string;
}

/** Bytes read per call, into one buffer reused. */
export const READ_PIECE = 256 * 1024;
const NEWLINE = 0x0a;
const QUOTE = 0x22;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const BACKSLASH = 0x5c;

export const crc32Hex = (crc: number) => crc.toString(16).padStart(8, '0');

/**
 * Opens a snapshot file: reads it through once, a piece at a time, checking that it is ASCII, that
 * it holds as many lines as its header says and that their CRC-32 is the header's, and noting
 * where each line starts and its leading string member. No item is parsed. Throws if the file is
 * not a whole, intact snapshot.
 */
export function openSnapshotFile(path: string): { header: SnapshotHeader; items: SnapshotItems } {
  const fd = openSync(path, 'r');
  try {
    const scanned = scan(fd, path);
    return { header: scanned.header, items: new FileItems(fd, scanned.starts, scanned.leading) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function scan(fd: number, path: string) {
  const notWhole = () => new Error(`${path} is not a whole snapshot`);
  const buffer = Buffer.allocUnsafe(READ_PIECE);
  let read = readSync(fd, buffer, 0, READ_PIECE, 0);
  const headerEnd = buffer.subarray(0, read).indexOf(NEWLINE);
  if (headerEnd === -1) throw notWhole();
  const header = JSON.parse(buffer.toString('latin1', 0, headerEnd)) as SnapshotHeader;
  if (!Number.isSafeInteger(header.items) || header.items < 0 || typeof header.crc32 !== 'string') throw notWhole();
  const starts = new Float64Array(header.items + 1);
  const leading = new LeadingMembers(header.items);
  let crc = 0;
  let line = 0;
  // File offset of buffer[0], and of the next line's first byte.
  let offset = 0;
  let lineStart = headerEnd + 1;
  for (let from = headerEnd + 1; read > 0; from = 0) {
    const piece = buffer.subarray(0, read);
    if (!isAscii(piece)) throw new Error(`${path} is not ASCII: not a snapshot in this format`);
    crc = crc32(piece.subarray(from), crc);
    for (let end = piece.indexOf(NEWLINE, from); end !== -1; end = piece.indexOf(NEWLINE, end + 1)) {
      if (line === header.items) throw notWhole();
      starts[line] = lineStart;
      // A line that began in an earlier piece has no leading member noted: parsed when restored.
      if (lineStart >= offset) leading.note(line, piece, lineStart - offset, end);
      line += 1;
      lineStart = offset + end + 1;
    }
    offset += read;
    read = readSync(fd, buffer, 0, READ_PIECE, offset);
  }
  if (line !== header.items || lineStart !== offset || crc32Hex(crc) !== header.crc32) throw notWhole();
  starts[line] = lineStart;
  return { header, starts, leading };
}

/**
 * Each line's leading `{"key":"value"`, where key and value have no escapes: noted in byte loops
 * (both are short), with one string made per line for the value and none for a key like the last.
 */
class LeadingMembers {
  readonly keys: Array<string | undefined>;
  readonly values: Array<string | undefined>;
  private lastKey = '';

  constructor(lines: number) {
    this.keys = new Array(lines);
    this.values = new Array(lines);
  }

  /** Notes line `line`'s leading member, if it has one: the line is `piece[start, end)`. */
  note(line: number, piece: Buffer, start: number, end: number): void {
    if (piece[start] !== OPEN_BRACE || piece[start + 1] !== QUOTE) return;
    const keyEnd = closingQuote(piece, start + 2, end);
    if (keyEnd === -1 || keyEnd + 2 >= end || piece[keyEnd + 1] !== COLON || piece[keyEnd + 2] !== QUOTE) return;
    const valueEnd = closingQuote(piece, keyEnd + 3, end);
    if (valueEnd === -1) return;
    this.keys[line] = this.keyAt(piece, start + 2, keyEnd);
    this.values[line] = piece.toString('latin1', keyEnd + 3, valueEnd);
  }

  private keyAt(piece: Buffer, start: number, end: number): string {
    const last = this.lastKey;
    let same = end - start === last.length;
    for (let index = 0; same && index < last.length; index += 1) same = piece[start + index] === last.charCodeAt(index);
    return same ? last : (this.lastKey = piece.toString('latin1', start, end));
  }
}

/** The index of the quote that closes a JSON string from `start`; -1 if an escape or `end` comes first. */
function closingQuote(piece: Buffer, start: number, end: number): number {
  for (let index = start; index < end; index += 1) {
    if (piece[index] === QUOTE) return index;
    if (piece[index] === BACKSLASH) return -1;
  }
  return -1;
}

/**
 * The items of an opened snapshot file, read again from it when parsed: the open file is kept
 * (a later save replaces the file by rename, so these bytes stay as they were checked), and read
 * a window of lines at a time, so parsing them in order costs one read per few hundred.
 */
class FileItems implements SnapshotItems {
  /** Read into, reused; `window` is the part of it the last read filled, from `windowStart` in the file. */
  private buffer = Buffer.alloc(0);
  private window = this.buffer;
  private windowStart = 0;

  constructor(
    private fd: number | null,
    private readonly starts: Float64Array,
    private readonly leading: LeadingMembers,
  ) {}

  get length(): number {
    return this.starts.length - 1;
  }

  item(index: number): unknown {
    const start = this.starts[index];
    const end = this.starts[index + 1] - 1;
    if (start < this.windowStart || end > this.windowStart + this.window.length) this.load(start, end);
    return JSON.parse(this.window.toString('latin1', start - this.windowStart, end - this.windowStart));
  }

  leadingString(index: number, key: string): string | undefined {
    return this.leading.keys[index] === key ? this.leading.values[index] : undefined;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.buffer = this.window = Buffer.alloc(0);
  }

  private load(start: number, end: number): void {
    if (this.fd === null) throw new Error('the snapshot items are closed');
    const size = Math.max(READ_PIECE, end - start);
    if (this.buffer.length < size) this.buffer = Buffer.allocUnsafeSlow(size);
    const read = readSync(this.fd, this.buffer, 0, size, start);
    if (read < end - start) throw new Error('the snapshot file ended early');
    this.window = this.buffer.subarray(0, read);
    this.windowStart = start;
  }
}
