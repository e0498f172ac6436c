import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encodeWav, sine, type WavOptions } from './audio';

/*
 * Temporary project folder trees for the import suites: DAW project folders, project files,
 * bounces (real WAV files) and other files, each with the modification time a test needs.
 */

/** A temporary directory of project folders; every path it returns is absolute. */
export interface ProjectTree {
  root: string;
  /** The absolute path of `relative` in the tree (nothing created). */
  path(relative: string): string;
  /** A folder (and its parents). */
  folder(relative: string): string;
  /** A file with `content` (parents created); `mtime` sets its modification (and access) time. */
  file(relative: string, content?: string | Buffer, mtime?: Date): string;
  /** A short WAV file (0.2 s of a 440 Hz sine unless `seconds` says otherwise), with `mtime` if given. */
  wav(relative: string, options?: { mtime?: Date; seconds?: number } & WavOptions): string;
  cleanup(): void;
}

/** A fixed, small WAV (0.05 s) written once per call site: for trees of many projects. */
export const TINY_WAV: Buffer = encodeWav(sine({ durationS: 0.05, sampleRate: 8000 }), { sampleRate: 8000 });

export function tempProjects(prefix = 'sessiondock-projects-'): ProjectTree {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const path = (relative: string) => join(root, relative);
  const file = (relative: string, content: string | Buffer = '', mtime?: Date) => {
    const full = path(relative);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    if (mtime) utimesSync(full, mtime, mtime);
    return full;
  };
  return {
    root,
    path,
    folder(relative) {
      const full = path(relative);
      mkdirSync(full, { recursive: true });
      return full;
    },
    file,
    wav(relative, { mtime, seconds = 0.2, ...options } = {}) {
      return file(relative, encodeWav(sine({ durationS: seconds, sampleRate: options.sampleRate ?? 44_100 }), options), mtime);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A time `minutes` before now (for modification times: the newest bounce is the preferred one). */
export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
