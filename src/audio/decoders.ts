import type { FileHandle } from 'node:fs/promises';
import { readAt } from './pcm';

/**
 * The compressed formats, decoded with the wasm-audio-decoders family (mpg123-decoder,
 * @wasm-audio-decoders/flac, @wasm-audio-decoders/ogg-vorbis): maintained ports of mpg123, libFLAC
 * and libvorbis that decode chunk by chunk, so a long file never sits in memory whole. They are ES
 * modules, loaded on first use.
 */
export interface DecodedBlock {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: unknown[];
}

export interface StreamDecoder {
  decode(chunk: Uint8Array): Promise<DecodedBlock>;
  /** What the decoder still holds once the input has ended. */
  flush(): Promise<DecodedBlock | undefined>;
  free(): void;
}

export type CompressedFormat = 'flac' | 'mp3' | 'ogg';

export async function createDecoder(format: CompressedFormat): Promise<StreamDecoder> {
  if (format === 'mp3') {
    const { MPEGDecoder } = await import('mpg123-decoder');
    // Gapless: the LAME tag's encoder delay and padding are trimmed, so the duration is the source's.
    const decoder = new MPEGDecoder({ enableGapless: true });
    await decoder.ready;
    return { decode: async (chunk) => decoder.decode(chunk), flush: async () => undefined, free: () => decoder.free() };
  }
  const decoder =
    format === 'flac'
      ? new (await import('@wasm-audio-decoders/flac')).FLACDecoder()
      : new (await import('@wasm-audio-decoders/ogg-vorbis')).OggVorbisDecoder();
  await decoder.ready;
  return { decode: (chunk) => decoder.decode(chunk), flush: () => decoder.flush(), free: () => decoder.free() };
}

/** What a compressed file's headers say before decoding: its frame count (0 when they do not say) and, for MP3, its channels (the decoder always gives two). */
export interface CompressedHeader {
  frames: number;
  channels?: number;
}

/**
 * The number of frames a compressed file's headers promise, to lay out the peak buckets before
 * decoding. FLAC's STREAMINFO and Ogg's last granule position are exact;
 * an MP3's Xing/Info frame count less the LAME tag's delay and padding too, a bare MP3's is
 * estimated from its first frame's bit rate.
 */
export async function compressedHeader(handle: FileHandle, format: CompressedFormat, fileSize: number): Promise<CompressedHeader> {
  if (format === 'flac') {
    const head = await readAt(handle, 0, 42);
    if (head.length < 42 || head.toString('latin1', 0, 4) !== 'fLaC') return { frames: 0 };
    return { frames: (head[21] & 0x0f) * 2 ** 32 + head.readUInt32BE(22) };
  }
  if (format === 'ogg') {
    const tail = await readAt(handle, Math.max(0, fileSize - 65536), 65536);
    const page = tail.lastIndexOf('OggS');
    if (page < 0 || page + 14 > tail.length) return { frames: 0 };
    const granule = Number(tail.readBigUInt64LE(page + 6));
    return { frames: Number.isSafeInteger(granule) ? granule : 0 };
  }
  return mp3Header(handle, fileSize);
}

const MP3_BITRATES = {
  mpeg1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  mpeg2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_SAMPLE_RATES = [44100, 48000, 32000];

async function mp3Header(handle: FileHandle, fileSize: number): Promise<CompressedHeader> {
  const head = await readAt(handle, 0, 10);
  const tagged = head.length === 10 && head.toString('latin1', 0, 3) === 'ID3';
  const start = tagged ? 10 + ((head[6] & 0x7f) << 21) + ((head[7] & 0x7f) << 14) + ((head[8] & 0x7f) << 7) + (head[9] & 0x7f) : 0;
  const frame = await readAt(handle, start, 4096);
  const sync = frame.findIndex((byte, i) => byte === 0xff && i + 3 < frame.length && (frame[i + 1] & 0xe6) === 0xe2);
  if (sync < 0) return { frames: 0 };
  const version = (frame[sync + 1] >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
  const mpeg1 = version === 3;
  const bitrate = (mpeg1 ? MP3_BITRATES.mpeg1 : MP3_BITRATES.mpeg2)[frame[sync + 2] >> 4] ?? 0;
  const sampleRate = (MP3_SAMPLE_RATES[(frame[sync + 2] >> 2) & 3] ?? 0) / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const samplesPerFrame = mpeg1 ? 1152 : 576;
  const mono = frame[sync + 3] >> 6 === 3;
  const channels = mono ? 1 : 2;
  const sideInfo = mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17;
  const tag = sync + 4 + sideInfo;
  const tagName = frame.toString('latin1', tag, tag + 4);
  if ((tagName === 'Xing' || tagName === 'Info') && frame[tag + 7] & 1) {
    const frames = frame.readUInt32BE(tag + 8);
    const lame = frame.indexOf('LAME', tag);
    const trim = lame > 0 && lame + 24 <= frame.length ? ((frame[lame + 21] << 4) | (frame[lame + 22] >> 4)) + (((frame[lame + 22] & 0x0f) << 8) | frame[lame + 23]) : 0;
    return { frames: Math.max(0, frames * samplesPerFrame - trim), channels };
  }
  if (!bitrate || !sampleRate) return { frames: 0, channels };
  return { frames: Math.round((((fileSize - start - sync) * 8) / (bitrate * 1000)) * sampleRate), channels };
}
