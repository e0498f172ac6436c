/**
 * Folds a stream of frames into `points` peaks: the largest absolute sample per bucket, where
 * bucket i holds frames [floor(i·N/points), floor((i+1)·N/points)) of a file of N frames.
 *
 * N is known up front for PCM files, only estimated for compressed ones (a header's frame count
 * can be off by the encoder's padding). Frames are first gathered in `fineness` times more buckets
 * laid out for the estimate (more of them if the file runs longer), each of which lies inside one
 * final bucket when the estimate is right; `peaks()` then maps them onto the real N. With an exact
 * N and a fineness of 1 the fine buckets are the final ones.
 */
export class PeakAccumulator {
  private readonly fine: number[] = [];
  private readonly fineCount: number;
  private frames = 0;
  private bucketEnd = 0;
  private current = 0;

  constructor(
    private readonly expectedFrames: number,
    private readonly points: number,
    fineness: 1 | 8,
  ) {
    this.fineCount = points * fineness;
    this.bucketEnd = this.boundary(1);
  }

  /** The frame where fine bucket `index` starts (past the estimate, buckets keep the same width). */
  private boundary(index: number): number {
    return Math.floor((index * Math.max(this.expectedFrames, 1)) / this.fineCount);
  }

  /** Frames that still fit in the current fine bucket (at least 1). */
  room(): number {
    while (this.bucketEnd <= this.frames) this.close();
    return this.bucketEnd - this.frames;
  }

  /** `frames` frames (at most `room()`) whose largest absolute sample is `peak`. */
  add(peak: number, frames: number): void {
    if (peak > this.current) this.current = peak;
    this.frames += frames;
  }

  private close(): void {
    this.fine.push(this.current);
    this.current = 0;
    this.bucketEnd = this.boundary(this.fine.length + 1);
  }

  frameCount(): number {
    return this.frames;
  }

  /** The peaks over the frames added, each in [0, 1] to four decimals (finer than any display); called once, at the end. */
  peaks(): number[] {
    const total = this.frames;
    if (total > this.boundary(this.fine.length)) this.fine.push(this.current);
    const peaks = new Array<number>(this.points).fill(0);
    if (total === 0) return peaks;
    for (let index = 0; index < this.fine.length; index += 1) {
      const start = this.boundary(index);
      if (start >= total) break;
      // The last bucket i with floor(i·N/points) <= start.
      const bucket = Math.min(this.points - 1, Math.ceil(((start + 1) * this.points) / total) - 1);
      if (this.fine[index] > peaks[bucket]) peaks[bucket] = Math.min(1, this.fine[index]);
    }
    return peaks.map((peak) => Math.round(peak * 1e4) / 1e4);
  }
}
