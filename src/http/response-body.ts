import { Readable } from 'node:stream';
import type { Context } from 'koa';

/**
 * The most UTF-16 code units of a response body handed to Node in one write. Node encodes a
 * string write into a buffer of three bytes per code unit (its worst case), and glibc serves a
 * buffer of 128 KiB or more with its own mmap; freeing one raises glibc's mmap and trim thresholds
 * for good, after which each thread's malloc arena keeps up to twice that buffer of freed memory.
 * 16 Ki code units stay under 48 KiB, however they encode.
 */
export const BODY_PIECE_UNITS = 16 * 1024;

/** `text` in pieces of at most `units` code units (at least 2), never splitting a surrogate pair. */
export function* textPieces(text: string, units = BODY_PIECE_UNITS): Generator<string> {
  if (!Number.isInteger(units) || units < 2) throw new RangeError(`a piece needs room for a surrogate pair, not ${units} code units`);
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + units, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    yield text.slice(start, end);
    start = end;
  }
}

/**
 * Sets a text body (its type set by the caller). A short one goes as it is; a long one as a stream
 * of buffers of at most BODY_PIECE_UNITS code units each, with its Content-Length, so the bytes on
 * the wire are the same and no write needs a buffer of 128 KiB or more.
 */
export function setTextBody(ctx: Context, text: string): void {
  if (text.length <= BODY_PIECE_UNITS) {
    ctx.body = text;
    return;
  }
  const length = Buffer.byteLength(text);
  ctx.body = Readable.from(
    (function* () {
      for (const piece of textPieces(text)) yield Buffer.from(piece);
    })(),
    // Each buffer handed on as it is (a byte stream would join them) and made only when wanted.
    { objectMode: true, highWaterMark: 1 },
  );
  ctx.length = length;
}
