import type { FileHandle } from 'node:fs/promises';
import { AudioError } from './errors';
import { readAt } from './pcm';
import { confirmsFormat, readAfterTag } from './signatures';

/** The formats a preview may have, by what their header shows, with the media type §6 names for each. */
export type AudioFormat = 'wav' | 'aiff' | 'flac' | 'mp3' | 'ogg' | 'mp4';

export const mediaTypes: Record<AudioFormat, string> = {
  wav: 'audio/wav',
  aiff: 'audio/aiff',
  flac: 'audio/flac',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  mp4: 'audio/mp4',
};

/** audio-type's names for the formats above; anything else it recognises is not served as a preview. */
const fromAudioType: Record<string, AudioFormat> = { wav: 'wav', aiff: 'aiff', flac: 'flac', mp3: 'mp3', oga: 'ogg', opus: 'ogg', m4a: 'mp4' };

/** How many leading bytes sniffing reads: enough for audio-type to see past a typical ID3 tag. */
export const SNIFF_BYTES = 4096;

// audio-type is an ES module: loaded once, on first use.
let audioType: Promise<(bytes: Uint8Array) => string | undefined> | undefined;

/**
 * The format of an open file: guessed from its leading bytes with audio-type, then confirmed by
 * its real stream header (an MPEG frame followed by another, an MP4 audio brand, STREAMINFO ...);
 * an error when it shows no audio we serve.
 */
export async function sniffFormat(handle: FileHandle, fileSize: number): Promise<AudioFormat> {
  audioType ??= import('audio-type').then((module) => module.default);
  const head = await readAt(handle, 0, SNIFF_BYTES);
  const name = (await audioType)(head);
  const format = name === undefined ? undefined : fromAudioType[name];
  if (!format) throw new AudioError('AUDIO_NOT_AUDIO', name ? `${name} files are not supported as previews` : 'the file is not audio');
  const afterTag = format === 'mp3' || format === 'flac' ? await readAfterTag(handle, fileSize, head) : { tagEnd: 0, afterTag: head };
  if (!confirmsFormat(format, { head, fileSize, ...afterTag })) throw new AudioError('AUDIO_NOT_AUDIO', `the file is not audio (no ${format} stream in it)`);
  return format;
}
