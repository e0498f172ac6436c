import type { FileHandle } from 'node:fs/promises';
import { compressedHeader, createDecoder, type CompressedFormat, type DecodedBlock } from './decoders';
import { AudioError } from './errors';
import type { AudioFormat } from './format';
import { PeakAccumulator } from './peaks';
import { aiffLayout, peakReader, readAt, wavLayout, type PcmLayout } from './pcm';

/** A waveform as §6 returns it, without the ids. */
export interface Waveform {
  durationMs: number;
  sampleRate: number;
  channels: number;
  points: number;
  peaks: number[];
}

/** PCM is read in pieces of about this size into one reused buffer: memory stays flat however long the file. */
const PCM_READ_BYTES = 1 << 20;
/** Compressed files are fed to their decoder in pieces of this size. */
const COMPRESSED_READ_BYTES = 1 << 16;

/** Decodes an open audio file of a sniffed format into `points` peaks, in bounded memory. */
export async function analyse(handle: FileHandle, fileSize: number, format: AudioFormat, points: number): Promise<Waveform> {
  if (format === 'wav' || format === 'aiff') {
    const layout = format === 'wav' ? await wavLayout(handle, fileSize) : await aiffLayout(handle, fileSize, await isAifc(handle));
    return analysePcm(handle, layout, points);
  }
  if (format === 'mp4') throw new AudioError('AUDIO_UNDECODABLE', 'MP4/AAC audio cannot be analysed');
  return analyseCompressed(handle, fileSize, format, points);
}

const isAifc = async (handle: FileHandle) => (await readAt(handle, 8, 4)).toString('latin1') === 'AIFC';

const waveform = (accumulator: PeakAccumulator, sampleRate: number, channels: number, points: number): Waveform => ({
  durationMs: Math.round((accumulator.frameCount() / sampleRate) * 1000),
  sampleRate,
  channels,
  points,
  peaks: accumulator.peaks(),
});

async function analysePcm(handle: FileHandle, layout: PcmLayout, points: number): Promise<Waveform> {
  const { channels, encoding, dataOffset, dataBytes } = layout;
  const frameBytes = channels * encoding.bytesPerSample;
  const accumulator = new PeakAccumulator(dataBytes / frameBytes, points, 1);
  const pieceBytes = Math.max(frameBytes, PCM_READ_BYTES - (PCM_READ_BYTES % frameBytes));
  // Two buffers: the next piece is read while this one is scanned.
  const buffers = [Buffer.allocUnsafeSlow(pieceBytes), Buffer.allocUnsafeSlow(pieceBytes)];
  const readers = buffers.map((buffer) => peakReader(encoding, buffer));
  const readPiece = (index: number, done: number) => handle.read(buffers[index], 0, Math.min(pieceBytes, dataBytes - done), dataOffset + done);
  let pending = readPiece(0, 0);
  for (let done = 0, index = 0; done < dataBytes; index = 1 - index) {
    const frames = Math.floor((await pending).bytesRead / frameBytes);
    if (frames === 0) break;
    done += frames * frameBytes;
    if (done < dataBytes) pending = readPiece(1 - index, done);
    const peakOf = readers[index];
    for (let frame = 0; frame < frames; ) {
      const run = Math.min(accumulator.room(), frames - frame);
      accumulator.add(peakOf(frame * channels, (frame + run) * channels), run);
      frame += run;
    }
  }
  return waveform(accumulator, layout.sampleRate, channels, points);
}

async function analyseCompressed(handle: FileHandle, fileSize: number, format: CompressedFormat, points: number): Promise<Waveform> {
  const header = await compressedHeader(handle, format, fileSize);
  const first = await decodePass(handle, fileSize, format, points, header.frames);
  // A header that overstated the length left too few buckets filled: decode again knowing it.
  const { accumulator, sampleRate, channels } = first.accumulator.tooCoarse() ? await decodePass(handle, fileSize, format, points, first.accumulator.frameCount()) : first;
  return waveform(accumulator, sampleRate, header.channels ?? channels, points);
}

/** One decode of a whole compressed file into peaks laid out for `expectedFrames`. */
async function decodePass(handle: FileHandle, fileSize: number, format: CompressedFormat, points: number, expectedFrames: number) {
  const decoder = await createDecoder(format);
  try {
    const accumulator = new PeakAccumulator(expectedFrames, points, 8);
    let sampleRate = 0;
    let channels = 0;
    const take = (block: DecodedBlock | undefined) => {
      if (!block || block.samplesDecoded === 0) return;
      sampleRate ||= block.sampleRate;
      channels = Math.max(channels, block.channelData.length);
      addBlock(accumulator, block);
    };
    const chunk = Buffer.allocUnsafe(COMPRESSED_READ_BYTES);
    for (let position = 0; position < fileSize; ) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      // The decoders copy their input into wasm memory, so the one chunk buffer can be reused.
      take(await decoder.decode(chunk.subarray(0, bytesRead)));
      position += bytesRead;
    }
    take(await decoder.flush());
    if (accumulator.frameCount() === 0 || !sampleRate) throw new AudioError('AUDIO_UNDECODABLE', `the ${format} data does not decode`);
    return { accumulator, sampleRate, channels };
  } finally {
    decoder.free();
  }
}

function addBlock(accumulator: PeakAccumulator, { channelData, samplesDecoded }: DecodedBlock): void {
  for (let frame = 0; frame < samplesDecoded; ) {
    const run = Math.min(accumulator.room(), samplesDecoded - frame);
    let peak = 0;
    for (const samples of channelData) {
      for (let i = frame, end = frame + run; i < end; i += 1) {
        const magnitude = samples[i] < 0 ? -samples[i] : samples[i];
        if (magnitude > peak) peak = magnitude;
      }
    }
    accumulator.add(peak > 1 ? 1 : peak, run);
    frame += run;
  }
}
