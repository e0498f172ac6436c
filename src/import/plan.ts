import { access, constants, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { openAudioFile } from '../audio/audio-file';
import { isAudioError } from '../audio/errors';
import { mediaTypes } from '../audio/format';
import { fileTitle } from '../commands/attach-preview';
import type { ImportPlan } from '../commands/import-item';
import { detectKind } from '../kind';
import { normalisedPath } from '../project-path';
import type { ImportItem } from '../schemas/import';
import { discoverAudio, folderKind } from './discover';

export interface BatchDefaults {
  kind: string | null;
  generatePreviews: boolean;
}

/** Why an item cannot be imported, as its outcome's reason. */
export class ItemFailure extends Error {}

async function projectStats(projectPath: string) {
  try {
    const stats = await stat(projectPath);
    await access(projectPath, constants.R_OK);
    return stats;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ItemFailure(code === 'ENOENT' || code === 'ENOTDIR' ? 'projectPath does not exist' : `projectPath cannot be read (${code})`);
  }
}

async function mediaTypeOf(path: string): Promise<string | null> {
  try {
    const file = await openAudioFile(path);
    await file.handle.close();
    return mediaTypes[file.format];
  } catch (error) {
    if (isAudioError(error)) return null;
    throw error;
  }
}

/**
 * Looks at an item's files (§7), by their normalised paths (what the session stores): the project must exist and be readable; the title defaults to its
 * file or folder name, the kind to the item's, the batch's, or the one detected. Previews: the
 * item's `previewAudioPath` (preferred), then, with `generatePreviews`, the audio found in the
 * project folder, newest first. Throws an ItemFailure with the reason when the item fails.
 */
export async function planItem(item: ImportItem, batch: BatchDefaults): Promise<ImportPlan> {
  const projectPath = normalisedPath(item.projectPath);
  const previewAudioPath = item.previewAudioPath === undefined ? undefined : normalisedPath(item.previewAudioPath);
  const stats = await projectStats(projectPath);
  const folder = stats.isDirectory() ? projectPath : dirname(projectPath);
  const kind = item.projectType?.trim() ?? batch.kind?.trim() ?? (stats.isDirectory() ? await folderKind(folder) : detectKind(projectPath));
  const previews: Array<{ path: string; mime: string }> = [];
  if (previewAudioPath !== undefined) {
    const mime = await mediaTypeOf(previewAudioPath);
    if (!mime) throw new ItemFailure('previewAudioPath is not a readable audio file');
    previews.push({ path: previewAudioPath, mime });
  }
  if (batch.generatePreviews) {
    for (const path of await discoverAudio(folder)) {
      if (path === previewAudioPath) continue;
      const mime = await mediaTypeOf(path);
      if (mime) previews.push({ path, mime });
    }
  }
  const title = item.title?.trim() ?? fileTitle(projectPath.replace(/[\\/]+$/, ''));
  return { title, kind, projectPath, previews };
}
