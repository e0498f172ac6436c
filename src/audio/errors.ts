/** Errors of the audio adapter, as values with stable codes. */
export type AudioErrorCode =
  | 'AUDIO_FILE_MISSING' // the registered file is no longer there
  | 'AUDIO_FILE_UNREADABLE' // it is there but cannot be read (permissions, a directory ...)
  | 'AUDIO_NOT_AUDIO' // its header is no audio format we know
  | 'AUDIO_UNDECODABLE'; // it looks like audio but does not decode (truncated, corrupt, unsupported codec)

export class AudioError extends Error {
  constructor(
    readonly code: AudioErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AudioError';
  }
}

export function isAudioError(error: unknown, code?: AudioErrorCode): error is AudioError {
  return error instanceof AudioError && (code === undefined || error.code === code);
}

/** No analysis can run now (too many are waiting, or the server is stopping): not a fault of the file, so not recorded on its variant. */
export class AnalysisUnavailableError extends Error {
  override readonly name = 'AnalysisUnavailableError';
}
