declare module 'audio-type' {
  /** The audio format a file's first bytes show ('wav', 'aiff', 'mp3', 'flac', 'oga', 'opus', 'm4a' ...), if any. */
  export default function audioType(bytes: Uint8Array): string | undefined;
}
