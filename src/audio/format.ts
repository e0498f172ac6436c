import { AudioError } from './errors';

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

/** The format a file's leading bytes show, sniffed with audio-type; an error when they show none we serve. */
export async function sniffFormat(leadingBytes: Uint8Array): Promise<AudioFormat> {
  audioType ??= import('audio-type').then((module) => module.default);
  const name = (await audioType)(leadingBytes);
  const format = name === undefined ? undefined : fromAudioType[name];
  if (!format) throw new AudioError('AUDIO_NOT_AUDIO', name ? `${name} files are not supported as previews` : 'the file is not audio');
  return format;
}
