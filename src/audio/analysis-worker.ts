import { parentPort } from 'node:worker_threads';
import { analyse } from './analyse';
import { adoptProtectedDirectories } from '../files/usable-path';
import { openAudioFile } from './audio-file';
import { isAudioError } from './errors';
import type { AnalysisReply, AnalysisRequest } from './analysis-messages';

/*
 * The body of an analysis worker thread: opens the file, decodes it into peaks and posts the
 * result. It runs under the worker's memory limits, so a file that makes the decoder grow without
 * end kills this thread, never the server.
 */
parentPort!.on('message', async ({ id, path, points, protectedDirectories }: AnalysisRequest) => {
  let reply: AnalysisReply;
  try {
    adoptProtectedDirectories(protectedDirectories);
    const file = await openAudioFile(path);
    try {
      const waveform = await analyse(file.handle, file.size, file.format, points);
      reply = { id, waveform, identity: { dev: file.dev, ino: file.ino, size: file.size, mtimeMs: file.mtimeMs } };
    } finally {
      await file.handle.close();
    }
  } catch (error) {
    reply = { id, error: { code: isAudioError(error) ? error.code : undefined, message: (error as Error).message } };
  }
  parentPort!.postMessage(reply);
});
