import { dirname } from 'node:path';
import { openAudioFile } from '../audio/audio-file';
import { isAudioError } from '../audio/errors';
import { mediaTypes } from '../audio/format';
import { fileTitle } from '../commands/attach-preview';
import type { ImportPlan } from '../commands/import-item';
import { usableFile, usableProject } from '../files/usable-path';
import { detectKind } from '../kind';
import { normalisedPath } from '../project-path';
import type { ImportItem } from '../schemas/import';
import { discoverAudio, folderKind } from './discover';

export interface BatchDefaults {
  kind: string | null;
  generatePreviews: boolean;
}

/**
 * Why an item cannot be imported: `message` is its outcome's reason, one per field whatever went
 * wrong (clients cannot probe the disk with it); `detail` says what went wrong, for the log.
 */
export class ItemFailure extends Error {
  constructor(
    message: string,
    readonly detail: string = message,
  ) {
    super(message);
  }
}

export const UNUSABLE_PROJECT = 'projectPath cannot be used: it must be an absolute path to a readable folder or file';
export const UNUSABLE_PREVIEW = 'previewAudioPath cannot be used: it must be an absolute path to a readable audio file';

async function projectStats(projectPath: string) {
  const project = await usableProject(projectPath);
  if (!project.usable) throw new ItemFailure(UNUSABLE_PROJECT, `projectPath: ${project.reason}`);
  return project.stats;
}

/** The file's media type, or why it is none. */
async function mediaTypeOf(path: string): Promise<{ mime: string } | { refused: string }> {
  const usable = await usableFile(path);
  if (!usable.usable) return { refused: usable.reason };
  try {
    const file = await openAudioFile(usable.realPath);
    await file.handle.close();
    return { mime: mediaTypes[file.format] };
  } catch (error) {
    if (isAudioError(error)) return { refused: error.message };
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
    const media = await mediaTypeOf(previewAudioPath);
    if ('refused' in media) throw new ItemFailure(UNUSABLE_PREVIEW, `previewAudioPath: ${media.refused}`);
    previews.push({ path: previewAudioPath, mime: media.mime });
  }
  if (batch.generatePreviews) {
    for (const path of await discoverAudio(folder)) {
      if (path === previewAudioPath) continue;
      const media = await mediaTypeOf(path);
      if ('mime' in media) previews.push({ path, mime: media.mime });
    }
  }
  const title = item.title?.trim() ?? fileTitle(projectPath.replace(/[\\/]+$/, ''));
  return { title, kind, projectPath, previews };
}
