import type { FileHandle } from 'node:fs/promises';
import type { AudioFormat } from './format';

/*
 * What a file of each format really starts with, checked beyond the magic bytes a guesser looks at:
 * a text file that happens to start with 0xFF 0xFE or `TAG`, or a HEIC or MOV file with `ftyp` at
 * offset 4, is no audio. Pure functions over the bytes read, plus one reader that fetches them.
 */

/** How far past a leading ID3v2 tag an MP3's first frame is looked for (encoders may leave padding). */
export const MP3_SEARCH_BYTES = 64 * 1024;
/** The longest MPEG audio frame (Layer I, 448 kbit/s at 32 kHz, padded) fits in this. */
const MAX_MPEG_FRAME_BYTES = 4096;

/** The end of a leading ID3v2 tag (header, body and footer), 0 without one. */
export function id3v2End(bytes: Uint8Array): number {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0;
  if ((bytes[6] | bytes[7] | bytes[8] | bytes[9]) & 0x80) return 0;
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
  return 10 + size + (bytes[5] & 0x10 ? 10 : 0);
}

const BITRATES_KBPS = {
  mpeg1: [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448], // Layer I
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384], // Layer II
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320], // Layer III
  ],
  mpeg2: [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256], // Layer I
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160], // Layers II and III
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
};
const SAMPLE_RATES = [44100, 48000, 32000];

/** An MPEG audio frame header: what must match from frame to frame, and the frame's length in bytes. */
export interface MpegFrame {
  /** Version, layer and sample rate bits: the same in every frame of a stream. */
  stream: number;
  length: number;
}

/** The MPEG audio frame header at `at`, if the four bytes there are a valid one (free-format and reserved values refused). */
export function mpegFrameAt(bytes: Uint8Array, at: number): MpegFrame | undefined {
  if (at + 4 > bytes.length || bytes[at] !== 0xff || (bytes[at + 1] & 0xe0) !== 0xe0) return undefined;
  const version = (bytes[at + 1] >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
  const layerBits = (bytes[at + 1] >> 1) & 3; // 3: Layer I, 2: II, 1: III, 0: reserved
  const bitrateIndex = bytes[at + 2] >> 4;
  const rateIndex = (bytes[at + 2] >> 2) & 3;
  const padding = (bytes[at + 2] >> 1) & 1;
  if (version === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3 || (bytes[at + 3] & 3) === 2) return undefined;
  const layer = 4 - layerBits;
  const mpeg1 = version === 3;
  const bitrate = (mpeg1 ? BITRATES_KBPS.mpeg1 : BITRATES_KBPS.mpeg2)[layer - 1][bitrateIndex] * 1000;
  const sampleRate = SAMPLE_RATES[rateIndex] / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const length =
    layer === 1 ? (Math.floor((12 * bitrate) / sampleRate) + padding) * 4 : Math.floor(((layer === 3 && !mpeg1 ? 72 : 144) * bitrate) / sampleRate) + padding;
  return { stream: (bytes[at + 1] & 0xfe) | ((bytes[at + 2] & 0x0c) << 8), length };
}

/**
 * Whether `window` (the bytes from `windowStart` of a file of `fileSize` bytes) holds an MPEG
 * audio frame followed by a second one of the same stream at the first's computed length (or the
 * first frame ends the file, or an ID3v1 tag ends it).
 */
export function hasMpegFrames(window: Uint8Array, windowStart: number, fileSize: number): boolean {
  const searchEnd = Math.min(window.length - 4, MP3_SEARCH_BYTES);
  for (let at = 0; at <= searchEnd; at += 1) {
    if (window[at] !== 0xff) continue;
    const first = mpegFrameAt(window, at);
    if (!first) continue;
    const next = at + first.length;
    const endsAt = windowStart + next;
    if (endsAt === fileSize || (endsAt + 128 === fileSize && window[next] === 0x54 && window[next + 1] === 0x41 && window[next + 2] === 0x47)) return true;
    const second = mpegFrameAt(window, next);
    if (second && second.stream === first.stream) return true;
  }
  return false;
}

const ascii = (bytes: Uint8Array, at: number, length: number) => String.fromCharCode(...bytes.subarray(at, at + length));

/** Brands of an ISO base media file that say it holds audio only (iTunes audio, audiobooks, protected audio, Flash audio). */
const MP4_AUDIO_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ']);

/** Whether an MP4 file's `ftyp` box names an audio brand, as its major brand or a compatible one. */
export function hasMp4AudioBrand(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || ascii(bytes, 4, 4) !== 'ftyp') return false;
  const boxSize = ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3];
  if (boxSize < 16 || boxSize > bytes.length || boxSize % 4 !== 0) return false;
  if (MP4_AUDIO_BRANDS.has(ascii(bytes, 8, 4))) return true;
  for (let at = 16; at + 4 <= boxSize; at += 4) if (MP4_AUDIO_BRANDS.has(ascii(bytes, at, 4))) return true;
  return false;
}

/** `fLaC` followed by its mandatory first metadata block, STREAMINFO (type 0, 34 bytes). */
function hasFlacStreamInfo(bytes: Uint8Array, at: number): boolean {
  return ascii(bytes, at, 4) === 'fLaC' && bytes.length >= at + 8 && (bytes[at + 4] & 0x7f) === 0 && bytes[at + 5] === 0 && bytes[at + 6] === 0 && bytes[at + 7] === 34;
}

/** An Ogg stream's first page (version 0, beginning of stream) whose first packet opens a codec's identification header. */
function hasOggCodecHeader(bytes: Uint8Array): boolean {
  if (bytes.length < 28 || ascii(bytes, 0, 4) !== 'OggS' || bytes[4] !== 0 || !(bytes[5] & 0x02)) return false;
  const packet = 27 + bytes[26];
  return ascii(bytes, packet, 7) === '\x01vorbis' || ascii(bytes, packet, 8) === 'OpusHead' || ascii(bytes, packet, 5) === '\x7fFLAC';
}

/** The bytes sniffing looked at: the head of the file, and for MP3 (and tagged FLAC) a window from the end of a leading ID3v2 tag. */
export interface LeadingBytes {
  head: Uint8Array;
  fileSize: number;
  /** Where the audio after an ID3v2 tag starts (0 without a tag), and the bytes from there. */
  tagEnd: number;
  afterTag: Uint8Array;
}

/** Whether the bytes show a real stream of `format`, not just its magic. */
export function confirmsFormat(format: AudioFormat, { head, tagEnd, afterTag, fileSize }: LeadingBytes): boolean {
  switch (format) {
    case 'wav':
      return ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WAVE';
    case 'aiff':
      return ascii(head, 0, 4) === 'FORM' && (ascii(head, 8, 4) === 'AIFF' || ascii(head, 8, 4) === 'AIFC');
    case 'flac':
      return hasFlacStreamInfo(head, 0) || (tagEnd > 0 && hasFlacStreamInfo(afterTag, 0)) || (hasOggCodecHeader(head) && ascii(head, 27 + head[26], 5) === '\x7fFLAC');
    case 'ogg':
      return hasOggCodecHeader(head);
    case 'mp4':
      return hasMp4AudioBrand(head);
    case 'mp3':
      return hasMpegFrames(afterTag, tagEnd, fileSize);
  }
}

/** The window past a leading ID3v2 tag (from the start without one) that MP3 and tagged FLAC are confirmed in. */
export async function readAfterTag(handle: FileHandle, fileSize: number, head: Uint8Array): Promise<Pick<LeadingBytes, 'tagEnd' | 'afterTag'>> {
  const tagEnd = id3v2End(head);
  if (tagEnd >= fileSize) return { tagEnd, afterTag: new Uint8Array(0) };
  const buffer = Buffer.alloc(Math.min(MP3_SEARCH_BYTES + MAX_MPEG_FRAME_BYTES, fileSize - tagEnd));
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, tagEnd);
  return { tagEnd, afterTag: buffer.subarray(0, bytesRead) };
}
