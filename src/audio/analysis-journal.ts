import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileIdentity } from './audio-file';

/** Files remembered as having stopped a server mid-analysis; the oldest are forgotten past this. */
export const MAX_CRASHED_FILES = 100;

interface JournalFile {
  inFlight: FileIdentity[];
  crashed: FileIdentity[];
}

const sameFile = (a: FileIdentity, b: FileIdentity) => a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/**
 * The analyses in flight, in a small file under the data dir, so a file whose analysis took the
 * whole process down is not analysed again at every start: what was in flight when the last
 * process died is remembered as crashed, and refused until the file changes. A clean stop clears
 * what it interrupted.
 */
export class AnalysisJournal {
  private readonly inFlight: FileIdentity[] = [];
  private readonly crashed: FileIdentity[];
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    const found = readJournal(path);
    this.crashed = [...found.crashed, ...found.inFlight].slice(-MAX_CRASHED_FILES);
    if (found.inFlight.length > 0) void this.save();
  }

  /** Whether this very file (same device, inode, size and mtime) was being analysed when a server died. */
  crashedBefore(file: FileIdentity): boolean {
    return this.crashed.some((entry) => sameFile(entry, file));
  }

  /** Notes an analysis as started; resolves once that is on disk. */
  begin(file: FileIdentity): Promise<void> {
    this.inFlight.push(file);
    return this.save();
  }

  end(file: FileIdentity): Promise<void> {
    const at = this.inFlight.findIndex((entry) => sameFile(entry, file));
    if (at >= 0) this.inFlight.splice(at, 1);
    return this.save();
  }

  /** At a clean stop: the analyses it ended were not crashes. */
  clear(): Promise<void> {
    this.inFlight.length = 0;
    return this.save();
  }

  private save(): Promise<void> {
    const content = JSON.stringify({ inFlight: this.inFlight, crashed: this.crashed } satisfies JournalFile);
    this.writes = this.writes.catch(() => undefined).then(async () => {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFile(`${this.path}.tmp`, content);
      await rename(`${this.path}.tmp`, this.path);
    });
    return this.writes;
  }
}

const isIdentity = (value: unknown): value is FileIdentity =>
  typeof value === 'object' && value !== null && ['dev', 'ino', 'size', 'mtimeMs'].every((key) => typeof (value as Record<string, unknown>)[key] === 'number');

/** The journal a previous process left; an absent or unreadable one is empty (it is advice, not data). */
function readJournal(path: string): JournalFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<JournalFile>;
    const list = (value: unknown) => (Array.isArray(value) ? value.filter(isIdentity).slice(-MAX_CRASHED_FILES) : []);
    return { inFlight: list(parsed.inFlight), crashed: list(parsed.crashed) };
  } catch {
    return { inFlight: [], crashed: [] };
  }
}
