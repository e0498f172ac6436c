import type { Dirent } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { detectKind, OTHER_KIND } from '../kind';
import { NewestFiles } from './newest-files';

const AUDIO_EXTENSIONS = new Set(['.wav', '.wave', '.aif', '.aiff', '.aifc', '.flac', '.mp3', '.ogg', '.oga', '.m4a', '.mp4']);
/** Subfolders where DAWs and people put renders (§7); other subfolders (Samples, Backup ...) are not searched. */
const RENDER_FOLDERS = new Set(['bounces', 'exports', 'mixdown', 'mixdowns', 'renders']);
/** A project folder full of renders still gives a session a readable number of variants. */
export const MAX_DISCOVERED_PREVIEWS = 32;
/** Directory entries looked at in one folder: past them, the rest of a huge folder is not read. */
export const MAX_ENTRIES_PER_FOLDER = 2_000;
/** Directory entries looked at for one project, its folder and its render subfolders together. */
export const MAX_ENTRIES_PER_PROJECT = 5_000;
/** Render subfolders searched (a case-sensitive file system can hold Bounces, bounces, BOUNCES ...). */
const MAX_RENDER_FOLDERS = 8;
/** Audio files stat'ed at once. */
const STAT_CONCURRENCY = 4;
/** Entries a directory read hands over at a time. */
const DIRECTORY_READ_BATCH = 64;

/** How many more directory entries a scan may look at. */
interface EntryBudget {
  left: number;
}

/**
 * A folder's entries as the directory is read, up to MAX_ENTRIES_PER_FOLDER and what `budget` has
 * left: a huge folder is never held whole. A folder that cannot be read (or stops being readable)
 * has no more entries.
 */
async function* entriesOf(folder: string, budget: EntryBudget): AsyncGenerator<Dirent> {
  const directory = await opendir(folder, { bufferSize: DIRECTORY_READ_BATCH }).catch(() => null);
  if (!directory) return;
  let looked = 0;
  try {
    for await (const entry of directory) {
      if (looked >= MAX_ENTRIES_PER_FOLDER || budget.left <= 0) return;
      looked += 1;
      budget.left -= 1;
      yield entry;
    }
  } catch {
    // A folder that fails while being read is read as far as it went (the loop closes the directory, as does leaving it).
  }
}

const isAudioFile = (entry: Dirent) => entry.isFile() && AUDIO_EXTENSIONS.has(extname(entry.name).toLowerCase());

/** Offers each audio file of `folder` to `newest`, with at most STAT_CONCURRENCY stats at once; gives its render subfolders. */
async function scanFolder(folder: string, budget: EntryBudget, newest: NewestFiles, wantSubfolders: boolean): Promise<string[]> {
  const subfolders: string[] = [];
  const statting = new Set<Promise<void>>();
  for await (const entry of entriesOf(folder, budget)) {
    if (wantSubfolders && entry.isDirectory() && RENDER_FOLDERS.has(entry.name.toLowerCase()) && subfolders.length < MAX_RENDER_FOLDERS) {
      subfolders.push(join(folder, entry.name));
    }
    if (!isAudioFile(entry)) continue;
    const path = join(folder, entry.name);
    const dated: Promise<void> = stat(path)
      .then((stats) => newest.offer(path, stats.mtimeMs), () => newest.offer(path, 0))
      .finally(() => statting.delete(dated));
    statting.add(dated);
    if (statting.size >= STAT_CONCURRENCY) await Promise.race(statting);
  }
  await Promise.all(statting);
  return subfolders;
}

/**
 * Audio files by extension in a project folder and in its render subfolders (two levels deep),
 * newest first, at most MAX_DISCOVERED_PREVIEWS. Symbolic links are not followed. The folders are
 * read as streams and the scan stops after MAX_ENTRIES_PER_PROJECT entries, so a folder of a
 * hundred thousand files costs what one of a few thousand does.
 */
export async function discoverAudio(folder: string): Promise<string[]> {
  const budget: EntryBudget = { left: MAX_ENTRIES_PER_PROJECT };
  const newest = new NewestFiles(MAX_DISCOVERED_PREVIEWS);
  const subfolders = await scanFolder(folder, budget, newest, true);
  for (const subfolder of subfolders) await scanFolder(subfolder, budget, newest, false);
  return newest.paths();
}

/**
 * A folder's kind by its own name (`Song.logicx`), else by the first project file in it
 * (`Song A/Song A.als`), by name, among the first MAX_ENTRIES_PER_FOLDER entries.
 */
export async function folderKind(folder: string): Promise<string> {
  const own = detectKind(folder);
  if (own !== OTHER_KIND) return own;
  let first: { name: string; kind: string } | null = null;
  for await (const entry of entriesOf(folder, { left: MAX_ENTRIES_PER_FOLDER })) {
    if (first !== null && entry.name >= first.name) continue;
    const kind = detectKind(entry.name);
    if (kind !== OTHER_KIND) first = { name: entry.name, kind };
  }
  return first?.kind ?? OTHER_KIND;
}
