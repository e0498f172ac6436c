import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { usableFilePath } from '../files/usable-path';
import { AudioError } from './errors';
import { sniffFormat, type AudioFormat } from './format';

/** An open preview file: its handle, identity and the format its header shows. */
export interface AudioFile extends FileIdentity {
  handle: FileHandle;
  format: AudioFormat;
}

/** A file's identity for caches and validators: a changed file has another, and two spellings of one path share it. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

const identity = ({ dev, ino, size, mtimeMs }: FileIdentity): FileIdentity => ({ dev, ino, size, mtimeMs });

function fileError(error: NodeJS.ErrnoException, path: string): AudioError {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return new AudioError('AUDIO_FILE_MISSING', `the preview file is missing: ${path}`);
  return new AudioError('AUDIO_FILE_UNREADABLE', `the preview file cannot be read (${error.code ?? 'error'})`);
}

/** The size and modification time of a registered file, without opening it. */
export async function identityOf(path: string): Promise<FileIdentity> {
  try {
    const stats = await fs.promises.stat(path);
    if (!stats.isFile()) throw new AudioError('AUDIO_FILE_UNREADABLE', 'the preview path is not a regular file');
    return identity(stats);
  } catch (error) {
    throw error instanceof AudioError ? error : fileError(error as NodeJS.ErrnoException, path);
  }
}

/**
 * Opens a file that a preview variant registered (or that an attach request names) and sniffs its
 * format. The only place the server opens audio: `fs.promises.open` looked up at call time, with
 * O_NONBLOCK so a FIFO cannot hang it, and only regular files accepted.
 */
export async function openAudioFile(path: string): Promise<AudioFile> {
  let handle: FileHandle;
  try {
    handle = await fs.promises.open(await usableFilePath(path), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    throw fileError(error as NodeJS.ErrnoException, path);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new AudioError('AUDIO_FILE_UNREADABLE', 'the preview path is not a regular file');
    const format = await sniffFormat(handle, stats.size);
    return { handle, ...identity(stats), format };
  } catch (error) {
    await handle.close();
    throw error instanceof AudioError ? error : fileError(error as NodeJS.ErrnoException, path);
  }
}
