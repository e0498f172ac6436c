import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { detectKind, OTHER_KIND } from '../kind';

const AUDIO_EXTENSIONS = new Set(['.wav', '.wave', '.aif', '.aiff', '.aifc', '.flac', '.mp3', '.ogg', '.oga', '.m4a', '.mp4']);
/** Subfolders where DAWs and people put renders (§7); other subfolders (Samples, Backup ...) are not searched. */
const RENDER_FOLDERS = new Set(['bounces', 'exports', 'mixdown', 'mixdowns', 'renders']);
/** A project folder full of renders still gives a session a readable number of variants. */
export const MAX_DISCOVERED_PREVIEWS = 32;

const entriesOf = (folder: string): Promise<Dirent[]> => readdir(folder, { withFileTypes: true }).catch(() => []);
const isAudioFile = (entry: Dirent) => entry.isFile() && AUDIO_EXTENSIONS.has(extname(entry.name).toLowerCase());

/**
 * Audio files by extension in a project folder and in its render subfolders (two levels deep),
 * newest first. Symbolic links are not followed.
 */
export async function discoverAudio(folder: string): Promise<string[]> {
  const top = await entriesOf(folder);
  const paths = top.filter(isAudioFile).map((entry) => join(folder, entry.name));
  for (const entry of top) {
    if (!entry.isDirectory() || !RENDER_FOLDERS.has(entry.name.toLowerCase())) continue;
    const sub = join(folder, entry.name);
    paths.push(...(await entriesOf(sub)).filter(isAudioFile).map((file) => join(sub, file.name)));
  }
  const dated = await Promise.all(paths.map(async (path) => ({ path, mtimeMs: (await stat(path).catch(() => null))?.mtimeMs ?? 0 })));
  return dated
    .sort((a, b) => b.mtimeMs - a.mtimeMs || (a.path < b.path ? -1 : 1))
    .slice(0, MAX_DISCOVERED_PREVIEWS)
    .map(({ path }) => path);
}

/** A folder's kind by its own name (`Song.logicx`), else by the first project file in it (`Song A/Song A.als`). */
export async function folderKind(folder: string): Promise<string> {
  const own = detectKind(folder);
  if (own !== OTHER_KIND) return own;
  const names = (await entriesOf(folder)).map((entry) => entry.name).sort();
  for (const name of names) {
    const kind = detectKind(name);
    if (kind !== OTHER_KIND) return kind;
  }
  return OTHER_KIND;
}
