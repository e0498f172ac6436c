import { closeSync, openSync, readFileSync, writeSync, ftruncateSync } from 'node:fs';
import { fixturePath } from './audio';

/*
 * Files that lie about what they are (issue 17, findings 1, 8, 9): audio whose header understates
 * its length, non-audio that starts like audio, and a sparse "WAV" of a terabyte.
 */

/** The FLAC fixture with STREAMINFO's total_samples set to 0 (the format's "unknown", as streamed FLAC has). */
export function flacWithUnknownLength(): Buffer {
  const bytes = Buffer.from(readFileSync(fixturePath('sine-440.flac')));
  if (bytes.toString('latin1', 0, 4) !== 'fLaC' || (bytes[4] & 0x7f) !== 0) throw new Error('the FLAC fixture does not start with STREAMINFO');
  // STREAMINFO body at 8: total_samples is the low 4 bits of byte 8+13 and bytes 8+14..8+17.
  bytes[21] &= 0xf0;
  bytes.writeUInt32BE(0, 22);
  return bytes;
}

/** The MP3 fixture with its Xing/Info frame count set to `frames`. */
export function mp3WithXingFrames(frames: number): Buffer {
  const bytes = Buffer.from(readFileSync(fixturePath('sine-440.mp3')));
  const tag = [bytes.indexOf('Xing', 0, 'latin1'), bytes.indexOf('Info', 0, 'latin1')].filter((at) => at >= 0 && at < 200)[0];
  if (tag === undefined || !(bytes[tag + 7] & 1)) throw new Error('the MP3 fixture has no Xing/Info tag with a frame count');
  bytes.writeUInt32BE(frames, tag + 8);
  return bytes;
}

/** A UTF-16LE text with its byte-order mark (FF FE), which a naive sniffer takes for an MPEG frame. */
export function utf16Text(): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Hello, these are the session notes.\r\n'.repeat(40), 'utf16le')]);
}

/** A text file that starts with `TAG` (an ID3v1 marker to a naive sniffer). */
export function tagText(): Buffer {
  return Buffer.from('TAGS: drums, bass, vocals\nTODO: re-record the bridge\n'.repeat(20), 'utf8');
}

/** An ISO base media file header of brand `major` with `compatible` brands, then an `mdat` of zeros (HEIC, MOV ...). */
export function isoMediaFile(major: string, compatible: string[]): Buffer {
  const ftyp = Buffer.alloc(16 + 4 * compatible.length);
  ftyp.writeUInt32BE(ftyp.length, 0);
  ftyp.write('ftyp', 4, 'latin1');
  ftyp.write(major, 8, 'latin1');
  compatible.forEach((brand, i) => ftyp.write(brand, 16 + 4 * i, 'latin1'));
  const mdat = Buffer.alloc(4096);
  mdat.writeUInt32BE(mdat.length, 0);
  mdat.write('mdat', 4, 'latin1');
  return Buffer.concat([ftyp, mdat]);
}

export const heicFile = () => isoMediaFile('heic', ['mif1', 'heic']);
export const movFile = () => isoMediaFile('qt  ', ['qt  ']);
export const m4aFile = () => isoMediaFile('M4A ', ['M4A ', 'mp42', 'isom']);

export type SparseRiffShape = 'empty-chunks' | 'huge-data';

/**
 * A sparse file of `size` bytes with a RIFF/WAVE header: after it, either nothing but zeros (a
 * chunk walker meets empty 8-byte chunks forever), or a `fmt ` chunk and a `data` chunk that claims
 * 4 GB of (sparse) samples. Gives the size actually made: the largest of `sizes` the filesystem takes.
 */
export function writeSparseRiff(path: string, shape: SparseRiffShape, sizes: number[]): number {
  const header = Buffer.alloc(shape === 'huge-data' ? 44 : 12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(0xffffffff, 4);
  header.write('WAVE', 8, 'latin1');
  if (shape === 'huge-data') {
    header.write('fmt ', 12, 'latin1');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20); // PCM
    // 8-bit mono: the most frames per byte, the slowest samples to scan.
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(48_000, 24);
    header.writeUInt32LE(48_000, 28);
    header.writeUInt16LE(1, 32);
    header.writeUInt16LE(8, 34);
    header.write('data', 36, 'latin1');
    header.writeUInt32LE(0xfffffff0, 40);
  }
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header, 0, header.length, 0);
    for (const size of sizes) {
      try {
        ftruncateSync(fd, size);
        return size;
      } catch {
        // EFBIG / EINVAL: this filesystem does not take a file this large; try the next size.
      }
    }
    throw new Error(`no sparse size of ${sizes.join(', ')} bytes is possible here`);
  } finally {
    closeSync(fd);
  }
}
