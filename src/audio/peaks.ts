/**
 * Folds a stream of frames into `points` peaks: the largest absolute sample per bucket, where
 * bucket i holds frames [floor(i·N/points), floor((i+1)·N/points)) of a file of N frames.
 *
 * N is known up front for PCM files, only estimated for compressed ones (a header's frame count
 * can be off by the encoder's padding, or say nothing, or lie). Frames are first gathered in
 * `fineness` times more buckets laid out for the estimate (each at least one frame wide), each of
 * which lies inside one final bucket when the estimate is right; `peaks()` then maps them onto the
 * real N. When a file runs far past its estimate the fine buckets are merged pairwise (each
 * doubling in width), so their number stays under a fixed cap whatever the header said. With an
 * exact N and a fineness of 1 the fine buckets are the final ones.
 */
/** Larger estimates are no real file (days of audio) and would cost the boundaries their integer precision. */
const MAX_ESTIMATE = 2 ** 36;

export class PeakAccumulator {
  private fine: number[] = [];
  private readonly fineCount: number;
  /** The most fine buckets kept before neighbours are merged. */
  private readonly maxFine: number;
  /** The frames the layout is made for: the estimate, or one frame per fine bucket when it is smaller. */
  private readonly layoutFrames: number;
  /** Fine bucket i spans base buckets [i·2^merges, (i+1)·2^merges). */
  private span = 1;
  private frames = 0;
  private bucketEnd = 0;
  private current = 0;

  constructor(
    expectedFrames: number,
    private readonly points: number,
    fineness: 1 | 8,
  ) {
    this.fineCount = points * fineness;
    this.maxFine = this.fineCount * 2;
    const estimate = Number.isFinite(expectedFrames) ? Math.min(Math.floor(expectedFrames), MAX_ESTIMATE) : 0;
    this.layoutFrames = Math.max(estimate, this.fineCount);
    this.bucketEnd = this.boundary(1);
  }

  /** The frame where fine bucket `index` starts (past the estimate, buckets keep the same width). */
  private boundary(index: number): number {
    return Math.floor((index * this.span * this.layoutFrames) / this.fineCount);
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
    if (this.fine.length >= this.maxFine) this.mergePairs();
    this.bucketEnd = this.boundary(this.fine.length + 1);
  }

  /** Halves the fine buckets: each pair becomes one bucket twice as wide (the count is even here). */
  private mergePairs(): void {
    const merged = new Array<number>(this.fine.length >> 1);
    for (let i = 0; i < merged.length; i += 1) merged[i] = Math.max(this.fine[2 * i], this.fine[2 * i + 1]);
    this.fine = merged;
    this.span *= 2;
  }

  /**
   * Whether the estimate was so far above the real length that fewer fine buckets than `points`
   * were filled: the peaks would be too coarse, and a second pass knowing the length is needed.
   */
  tooCoarse(): boolean {
    return this.frames > 0 && this.boundary(this.points) > this.frames && this.fineCount > this.points;
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
