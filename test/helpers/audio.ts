import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/*
 * Test audio written at test time: WAV of every PCM flavour the contract names (§6: 8/16/24/32-bit
 * integer, 32-bit float, WAVE_FORMAT_EXTENSIBLE), AIFF, a silence-then-burst file, and broken files
 * (truncated, garbage). Samples are given as floats in [-1, 1] per channel; each writer quantises them
 * the way real encoders do (round, clamp to the format's range).
 */

/** Samples per channel: channels[c][frame]. */
export type Channels = Float64Array[];

export type WavEncoding = 'pcm8' | 'pcm16' | 'pcm24' | 'pcm32' | 'float32';

export interface WavOptions {
  sampleRate?: number;
  encoding?: WavEncoding;
  /** WAVE_FORMAT_EXTENSIBLE (0xFFFE) with a KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT sub-format GUID. */
  extensible?: boolean;
  /** Chunks to put between `fmt ` and `data` (e.g. LIST/INFO), to check a reader walks the chunks. */
  extraChunks?: Array<{ id: string; body: Buffer }>;
}

export interface SineOptions {
  amplitude?: number;
  frequency?: number;
  durationS?: number;
  sampleRate?: number;
  channels?: number;
}

/** The temporary directory tests write their audio into; `cleanup()` removes it. */
export interface AudioDir {
  path: string;
  /** An absolute path in the directory (parent folders created). */
  file(name: string): string;
  cleanup(): void;
}

export function tempAudioDir(prefix = 'sessiondock-audio-'): AudioDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file(name) {
      const full = join(path, name);
      mkdirSync(dirname(full), { recursive: true });
      return full;
    },
    cleanup: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** The committed sox fixtures (test/fixtures/audio), found from the compiled file's location upwards. */
export function fixturePath(name: string): string {
  for (const start of [__dirname, process.cwd()]) {
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, 'test', 'fixtures', 'audio');
      if (existsSync(join(candidate, 'README.md'))) return join(candidate, name);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`test/fixtures/audio/${name} not found above ${__dirname} or ${process.cwd()}`);
}

/** A sine per channel (same phase on every channel). Default: 440 Hz, amplitude 0.5, 1 s, 44.1 kHz, mono. */
export function sine({ amplitude = 0.5, frequency = 440, durationS = 1, sampleRate = 44_100, channels = 1 }: SineOptions = {}): Channels {
  const frames = Math.round(durationS * sampleRate);
  const one = new Float64Array(frames);
  for (let i = 0; i < frames; i += 1) one[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return Array.from({ length: channels }, () => Float64Array.from(one));
}

/** `silenceS` of digital silence, then a full-scale (amplitude 1.0) 440 Hz sine for `burstS`. */
export function silenceThenBurst({ silenceS = 1, burstS = 1, sampleRate = 44_100, channels = 1, frequency = 440 } = {}): Channels {
  const silent = Math.round(silenceS * sampleRate);
  const burst = Math.round(burstS * sampleRate);
  const one = new Float64Array(silent + burst);
  // Start the burst at its crest so its first bucket holds a full-scale sample whatever the bucket width.
  for (let i = 0; i < burst; i += 1) one[silent + i] = Math.cos((2 * Math.PI * frequency * i) / sampleRate);
  return Array.from({ length: channels }, () => Float64Array.from(one));
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

function bytesPerSample(encoding: WavEncoding): number {
  return { pcm8: 1, pcm16: 2, pcm24: 3, pcm32: 4, float32: 4 }[encoding];
}

/** Integer full scale used by the writers: a float of 1.0 becomes 2^(bits-1) - 1 (16-bit: 32767). */
export function fullScale(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

function writeSample(target: Buffer, offset: number, value: number, encoding: WavEncoding, bigEndian = false): void {
  switch (encoding) {
    case 'pcm8':
      // 8-bit WAV is unsigned: silence is 128.
      target.writeUInt8(clamp(Math.round(value * 127) + 128, 0, 255), offset);
      return;
    case 'pcm16': {
      const sample = clamp(Math.round(value * fullScale(16)), -32768, 32767);
      if (bigEndian) target.writeInt16BE(sample, offset);
      else target.writeInt16LE(sample, offset);
      return;
    }
    case 'pcm24': {
      const sample = clamp(Math.round(value * fullScale(24)), -8388608, 8388607);
      if (bigEndian) target.writeIntBE(sample, offset, 3);
      else target.writeIntLE(sample, offset, 3);
      return;
    }
    case 'pcm32': {
      const sample = clamp(Math.round(value * fullScale(32)), -2147483648, 2147483647);
      if (bigEndian) target.writeInt32BE(sample, offset);
      else target.writeInt32LE(sample, offset);
      return;
    }
    case 'float32':
      if (bigEndian) target.writeFloatBE(value, offset);
      else target.writeFloatLE(value, offset);
      return;
  }
}

function interleave(channels: Channels, encoding: WavEncoding, bigEndian = false): Buffer {
  const width = bytesPerSample(encoding);
  const frames = channels[0]?.length ?? 0;
  const out = Buffer.alloc(frames * channels.length * width);
  let offset = 0;
  for (let frame = 0; frame < frames; frame += 1) {
    for (const channel of channels) {
      writeSample(out, offset, channel[frame], encoding, bigEndian);
      offset += width;
    }
  }
  return out;
}

function chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 4, 'latin1');
  header.writeUInt32LE(body.length, 4);
  // RIFF chunks are word-aligned: an odd-sized body is followed by a pad byte not counted in its size.
  return Buffer.concat([header, body, body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

const PCM_GUID_TAIL = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);

function fmtChunkBody(channels: number, sampleRate: number, encoding: WavEncoding, extensible: boolean): Buffer {
  const width = bytesPerSample(encoding);
  const bits = width * 8;
  const formatTag = encoding === 'float32' ? 3 : 1;
  const body = Buffer.alloc(extensible ? 40 : encoding === 'float32' ? 18 : 16);
  body.writeUInt16LE(extensible ? 0xfffe : formatTag, 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(sampleRate, 4);
  body.writeUInt32LE(sampleRate * channels * width, 8);
  body.writeUInt16LE(channels * width, 12);
  body.writeUInt16LE(bits, 14);
  if (extensible) {
    body.writeUInt16LE(22, 16); // cbSize
    body.writeUInt16LE(bits, 18); // wValidBitsPerSample
    body.writeUInt32LE(channels === 1 ? 0x4 : channels === 2 ? 0x3 : 0, 20); // dwChannelMask
    body.writeUInt16LE(formatTag, 24); // sub-format GUID: {0000000X-0000-0010-8000-00AA00389B71}
    PCM_GUID_TAIL.copy(body, 26);
  } else if (encoding === 'float32') {
    body.writeUInt16LE(0, 16); // cbSize
  }
  return body;
}

/** A complete WAV file: RIFF/WAVE, `fmt `, (`fact` for float), extra chunks, `data`. */
export function encodeWav(channels: Channels, { sampleRate = 44_100, encoding = 'pcm16', extensible = false, extraChunks = [] }: WavOptions = {}): Buffer {
  const frames = channels[0]?.length ?? 0;
  const parts = [chunk('fmt ', fmtChunkBody(channels.length, sampleRate, encoding, extensible))];
  if (encoding === 'float32' || extensible) {
    const fact = Buffer.alloc(4);
    fact.writeUInt32LE(frames, 0);
    parts.push(chunk('fact', fact));
  }
  for (const extra of extraChunks) parts.push(chunk(extra.id, extra.body));
  parts.push(chunk('data', interleave(channels, encoding)));
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...parts]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 4, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

export function writeWav(path: string, channels: Channels, options: WavOptions = {}): string {
  writeFileSync(path, encodeWav(channels, options));
  return path;
}

/** A LIST/INFO chunk of odd size (so it carries a pad byte), for `extraChunks`. */
export function listInfoChunk(comment = 'made by the SessionDock tests'): { id: string; body: Buffer } {
  const text = Buffer.from(`${comment}\0`, 'latin1');
  const sub = Buffer.alloc(8);
  sub.write('ICMT', 0, 4, 'latin1');
  sub.writeUInt32LE(text.length, 4);
  const body = Buffer.concat([Buffer.from('INFO', 'latin1'), sub, text]);
  return { id: 'LIST', body: body.length % 2 === 0 ? Buffer.concat([body, Buffer.from('x')]) : body };
}

/** An IEEE 754 80-bit extended float, big-endian (AIFF's sample rate). */
function extended80(value: number): Buffer {
  const out = Buffer.alloc(10);
  if (value === 0) return out;
  const exponent = Math.floor(Math.log2(value));
  const mantissa = value / 2 ** exponent; // [1, 2)
  out.writeUInt16BE(exponent + 16383, 0);
  const high = Math.floor(mantissa * 2 ** 31);
  const low = Math.floor((mantissa * 2 ** 31 - high) * 2 ** 32);
  out.writeUInt32BE(high >>> 0, 2);
  out.writeUInt32BE(low >>> 0, 6);
  return out;
}

/** A big-endian AIFF (FORM/AIFF, COMM, SSND) of 8/16/24/32-bit integer PCM. */
export function encodeAiff(channels: Channels, { sampleRate = 44_100, bits = 16 }: { sampleRate?: number; bits?: 8 | 16 | 24 | 32 } = {}): Buffer {
  const frames = channels[0]?.length ?? 0;
  const beChunk = (id: string, body: Buffer) => {
    const header = Buffer.alloc(8);
    header.write(id, 0, 4, 'latin1');
    header.writeUInt32BE(body.length, 4);
    return Buffer.concat([header, body, body.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const comm = Buffer.alloc(18);
  comm.writeUInt16BE(channels.length, 0);
  comm.writeUInt32BE(frames, 2);
  comm.writeUInt16BE(bits, 6);
  extended80(sampleRate).copy(comm, 8);
  let samples: Buffer;
  if (bits === 8) {
    // AIFF 8-bit is signed (unlike WAV).
    samples = Buffer.alloc(frames * channels.length);
    let offset = 0;
    for (let frame = 0; frame < frames; frame += 1) {
      for (const channel of channels) samples.writeInt8(clamp(Math.round(channel[frame] * 127), -128, 127), offset++);
    }
  } else {
    samples = interleave(channels, bits === 16 ? 'pcm16' : bits === 24 ? 'pcm24' : 'pcm32', true);
  }
  const ssnd = Buffer.concat([Buffer.alloc(8), samples]); // offset 0, blockSize 0
  const body = Buffer.concat([Buffer.from('AIFF', 'latin1'), beChunk('COMM', comm), beChunk('SSND', ssnd)]);
  const header = Buffer.alloc(8);
  header.write('FORM', 0, 4, 'latin1');
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export function writeAiff(path: string, channels: Channels, options: { sampleRate?: number; bits?: 8 | 16 | 24 | 32 } = {}): string {
  writeFileSync(path, encodeAiff(channels, options));
  return path;
}

/**
 * A WAV whose header is intact but whose data chunk is cut: the `data` size (and RIFF size) still
 * claim every frame, the file holds only the first `keepFraction` of the sample bytes (whole frames).
 */
export function dataCutWav(channels: Channels, options: WavOptions = {}, keepFraction = 0.5): { bytes: Buffer; framesPresent: number } {
  const full = encodeWav(channels, options);
  const dataAt = full.indexOf(Buffer.from('data', 'latin1'), 12) + 8;
  const frameBytes = channels.length * bytesPerSample(options.encoding ?? 'pcm16');
  const framesPresent = Math.floor((channels[0].length * keepFraction));
  return { bytes: full.subarray(0, dataAt + framesPresent * frameBytes), framesPresent };
}

/** A WAV cut in the middle of its `fmt ` chunk: `RIFF....WAVEfmt ` and half of the format fields. */
export function headerCutWav(channels: Channels = sine({ durationS: 0.1 }), options: WavOptions = {}): Buffer {
  const full = encodeWav(channels, options);
  const fmtAt = full.indexOf(Buffer.from('fmt ', 'latin1'), 12);
  return full.subarray(0, fmtAt + 8 + 7);
}

/** `RIFF<size>WAVE` followed by random bytes: sniffs as WAV, decodes as nothing. */
export function garbageWav(length = 4096): Buffer {
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 4, 'latin1');
  header.writeUInt32LE(length + 4, 4);
  header.write('WAVE', 8, 4, 'latin1');
  return Buffer.concat([header, randomNotMagic(length)]);
}

/** `fLaC` followed by random bytes. */
export function garbageFlac(length = 4096): Buffer {
  return Buffer.concat([Buffer.from('fLaC', 'latin1'), randomNotMagic(length)]);
}

/** Random bytes that do not begin with any audio magic (so they cannot sniff as audio by accident). */
export function randomNotMagic(length = 4096): Buffer {
  const bytes = randomBytes(length);
  bytes[0] = 0x00; // no "RIFF", "FORM", "fLaC", "OggS", "ID3", MPEG sync (0xFF) or "....ftyp" start
  bytes[1] = 0x01;
  return bytes;
}

/** Peak of the samples as written (after quantisation to `encoding`): what a correct decoder reports. */
export function quantisedPeak(channels: Channels, encoding: WavEncoding = 'pcm16'): number {
  let peak = 0;
  for (const channel of channels) for (const value of channel) peak = Math.max(peak, Math.abs(value));
  if (encoding === 'float32') return Math.fround(peak);
  if (encoding === 'pcm8') return Math.round(peak * 127) / 128;
  const bits = bytesPerSample(encoding) * 8;
  return Math.round(peak * fullScale(bits)) / 2 ** (bits - 1);
}
