import type { FileHandle } from 'node:fs/promises';
import { AudioError } from './errors';

/** How PCM samples are stored: integer or float, width, byte order. */
export interface SampleEncoding {
  bytesPerSample: 1 | 2 | 3 | 4 | 8;
  float: boolean;
  bigEndian: boolean;
}

/** Where a WAV or AIFF file keeps its samples and how to read them. */
export interface PcmLayout {
  sampleRate: number;
  channels: number;
  encoding: SampleEncoding;
  /** Offset of the first frame and the bytes of whole frames present (a truncated file has fewer than its header says). */
  dataOffset: number;
  dataBytes: number;
}

const undecodable = (why: string) => new AudioError('AUDIO_UNDECODABLE', why);

export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

interface Chunk {
  id: string;
  /** Offset of the chunk's body. */
  body: number;
  size: number;
}

/** Real files hold a handful of chunks before their samples; past these limits a file is refused, not walked. */
export const MAX_CHUNKS = 256;
export const MAX_SKIPPED_BYTES = 64 * 1024 * 1024;

/**
 * The chunks of a RIFF or IFF file, read header by header (a large chunk is skipped, not read). The
 * walk is bounded: at most MAX_CHUNKS chunks, and at most MAX_SKIPPED_BYTES of chunk bodies passed
 * over; the caller stops at the chunk it needs.
 */
async function* chunks(handle: FileHandle, fileSize: number, bigEndian: boolean): AsyncGenerator<Chunk> {
  let position = 12;
  for (let count = 0; position + 8 <= fileSize; count += 1) {
    if (count >= MAX_CHUNKS) throw undecodable(`the file has more than ${MAX_CHUNKS} chunks before its audio`);
    if (position - 12 > MAX_SKIPPED_BYTES) throw undecodable(`the audio starts more than ${MAX_SKIPPED_BYTES / 1024 / 1024} MB into the file`);
    const header = await readAt(handle, position, 8);
    if (header.length < 8) return;
    const size = bigEndian ? header.readUInt32BE(4) : header.readUInt32LE(4);
    yield { id: header.toString('latin1', 0, 4), body: position + 8, size };
    position += 8 + size + (size % 2);
  }
}

function encodingOf(bits: number, float: boolean, bigEndian: boolean): SampleEncoding {
  const bytesPerSample = Math.ceil(bits / 8);
  const known = float ? bytesPerSample === 4 || bytesPerSample === 8 : bytesPerSample >= 1 && bytesPerSample <= 4;
  if (!known) throw undecodable(`${bits}-bit ${float ? 'float' : 'integer'} samples are not supported`);
  return { bytesPerSample: bytesPerSample as SampleEncoding['bytesPerSample'], float, bigEndian };
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** A WAV file's format (PCM 8-32 bit, float, WAVE_FORMAT_EXTENSIBLE) and where its samples are. */
export async function wavLayout(handle: FileHandle, fileSize: number): Promise<PcmLayout> {
  let format: Omit<PcmLayout, 'dataOffset' | 'dataBytes'> | undefined;
  for await (const chunk of chunks(handle, fileSize, false)) {
    if (chunk.id === 'fmt ') {
      const fmt = await readAt(handle, chunk.body, Math.min(chunk.size, 40));
      if (fmt.length < 16) break;
      let tag = fmt.readUInt16LE(0);
      if (tag === WAVE_FORMAT_EXTENSIBLE && fmt.length >= 26) tag = fmt.readUInt16LE(24);
      if (tag !== WAVE_FORMAT_PCM && tag !== WAVE_FORMAT_IEEE_FLOAT) throw undecodable(`WAV format ${tag} is not PCM`);
      const channels = fmt.readUInt16LE(2);
      const bits = fmt.readUInt16LE(14);
      const encoding = encodingOf(bits, tag === WAVE_FORMAT_IEEE_FLOAT, false);
      if (fmt.readUInt16LE(12) !== channels * encoding.bytesPerSample) throw undecodable('WAV block alignment does not match its channels and sample size');
      format = { sampleRate: fmt.readUInt32LE(4), channels, encoding };
    } else if (chunk.id === 'data' && format) {
      return withData(format, chunk.body, chunk.size, fileSize);
    }
  }
  throw undecodable('WAV file without a format and data chunk');
}

/** An 80-bit IEEE 754 extended number (AIFF's sample rate). */
function extended(bytes: Buffer, offset: number): number {
  const exponent = bytes.readUInt16BE(offset) & 0x7fff;
  const mantissa = bytes.readUInt32BE(offset + 2) * 2 ** 32 + bytes.readUInt32BE(offset + 6);
  return mantissa * 2 ** (exponent - 16383 - 63);
}

/** An AIFF or AIFF-C file's format (big-endian PCM, `sowt` little-endian, `fl32`/`fl64` float) and where its samples are. */
export async function aiffLayout(handle: FileHandle, fileSize: number, compressed: boolean): Promise<PcmLayout> {
  let format: Omit<PcmLayout, 'dataOffset' | 'dataBytes'> | undefined;
  for await (const chunk of chunks(handle, fileSize, true)) {
    if (chunk.id === 'COMM') {
      const comm = await readAt(handle, chunk.body, Math.min(chunk.size, 22));
      if (comm.length < 18) break;
      const compression = compressed && comm.length >= 22 ? comm.toString('latin1', 18, 22) : 'NONE';
      const bits = comm.readUInt16BE(6);
      const float = compression === 'fl32' || compression === 'FL32' || compression === 'fl64' || compression === 'FL64';
      if (!float && compression !== 'NONE' && compression !== 'sowt' && compression !== 'twos') {
        throw undecodable(`AIFF-C compression ${compression} is not supported`);
      }
      const floatBits = compression.endsWith('64') ? 64 : 32;
      format = {
        channels: comm.readUInt16BE(0),
        sampleRate: Math.round(extended(comm, 8)),
        encoding: encodingOf(float ? floatBits : bits, float, compression !== 'sowt'),
      };
    } else if (chunk.id === 'SSND' && format) {
      const offset = (await readAt(handle, chunk.body, 4)).readUInt32BE(0);
      return withData(format, chunk.body + 8 + offset, chunk.size - 8 - offset, fileSize);
    }
  }
  throw undecodable('AIFF file without a COMM and SSND chunk');
}

function withData(format: Omit<PcmLayout, 'dataOffset' | 'dataBytes'>, dataOffset: number, declaredBytes: number, fileSize: number): PcmLayout {
  const frameBytes = format.channels * format.encoding.bytesPerSample;
  if (format.channels < 1 || format.sampleRate < 1 || frameBytes < 1) throw undecodable('the audio header is corrupt');
  const present = Math.max(0, Math.min(declaredBytes, fileSize - dataOffset));
  const dataBytes = present - (present % frameBytes);
  if (dataBytes === 0) throw undecodable('the file holds no audio frames');
  return { ...format, dataOffset, dataBytes };
}

/**
 * A function giving the largest absolute sample among samples [from, to) of a buffer, scaled to
 * [0, 1]. Integers are compared as integers and scaled once per call; the common little-endian
 * layouts read through typed-array views (the buffer must start on an 8-byte boundary, and hold
 * whole frames).
 */
export function peakReader(encoding: SampleEncoding, buffer: Buffer): (from: number, to: number) => number {
  const { bytesPerSample, float, bigEndian } = encoding;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (float) {
    const read = bytesPerSample === 4 ? (i: number) => view.getFloat32(i * 4, !bigEndian) : (i: number) => view.getFloat64(i * 8, !bigEndian);
    const samples = bigEndian ? null : bytesPerSample === 4 ? new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength >> 2) : new Float64Array(buffer.buffer, buffer.byteOffset, buffer.byteLength >> 3);
    return (from, to) => {
      let peak = 0;
      for (let i = from; i < to; i += 1) {
        const value = samples ? samples[i] : read(i);
        const magnitude = value < 0 ? -value : value;
        if (magnitude > peak) peak = magnitude;
      }
      return peak > 1 ? 1 : peak;
    };
  }
  const scale = 2 ** (bytesPerSample * 8 - 1);
  const integerPeak = (high: number, low: number) => Math.min(1, Math.max(high, -low) / scale);
  if ((bytesPerSample === 2 || bytesPerSample === 4) && !bigEndian) {
    const samples =
      bytesPerSample === 2 ? new Int16Array(buffer.buffer, buffer.byteOffset, buffer.byteLength >> 1) : new Int32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength >> 2);
    return (from, to) => {
      let high = 0;
      let low = 0;
      for (let i = from; i < to; i += 1) {
        const value = samples[i];
        if (value > high) high = value;
        else if (value < low) low = value;
      }
      return integerPeak(high, low);
    };
  }
  if (bytesPerSample === 3 && !bigEndian) {
    // Four samples are three aligned 32-bit words; each sample is taken shifted into the top 24 bits
    // (its value times 256), which costs fewer operations than three byte loads per sample.
    const words = new Int32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength >> 2);
    const shifted = (i: number) => (buffer[i * 3] << 8) | (buffer[i * 3 + 1] << 16) | (buffer[i * 3 + 2] << 24);
    return (from, to) => {
      let high = 0;
      let low = 0;
      let i = from;
      for (; i < to && (i & 3) !== 0; i += 1) {
        high = Math.max(high, shifted(i));
        low = Math.min(low, shifted(i));
      }
      let word = (i >> 2) * 3;
      for (; i + 8 <= to; i += 8, word += 6) {
        const w0 = words[word];
        const w1 = words[word + 1];
        const w2 = words[word + 2];
        const w3 = words[word + 3];
        const w4 = words[word + 4];
        const w5 = words[word + 5];
        const a = w0 << 8;
        const b = (w1 << 16) | ((w0 >>> 16) & 0xff00);
        const c = (w2 << 24) | ((w1 >>> 8) & 0xffff00);
        const d = w2 & -256;
        const e = w3 << 8;
        const f = (w4 << 16) | ((w3 >>> 16) & 0xff00);
        const g = (w5 << 24) | ((w4 >>> 8) & 0xffff00);
        const h = w5 & -256;
        high = Math.max(high, a, b, c, d, e, f, g, h);
        low = Math.min(low, a, b, c, d, e, f, g, h);
      }
      for (; i < to; i += 1) {
        high = Math.max(high, shifted(i));
        low = Math.min(low, shifted(i));
      }
      return Math.min(1, Math.max(high, -low) / 2 ** 31);
    };
  }
  // 8-bit WAV is unsigned; the rest (big-endian AIFF) is read byte by byte, most significant first.
  const read =
    bytesPerSample === 1
      ? bigEndian
        ? (i: number) => view.getInt8(i)
        : (i: number) => buffer[i] - 128
      : (i: number) => (bigEndian ? buffer.readIntBE(i * bytesPerSample, bytesPerSample) : buffer.readIntLE(i * bytesPerSample, bytesPerSample));
  return (from, to) => {
    let high = 0;
    let low = 0;
    for (let i = from; i < to; i += 1) {
      const value = read(i);
      if (value > high) high = value;
      else if (value < low) low = value;
    }
    return integerPeak(high, low);
  };
}
