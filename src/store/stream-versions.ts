/**
 * Streams' versions as far as the log keeps them in memory: at most `capacity` of them, the least
 * recently written forgotten first (they are stored, and read again when needed). A stream can be
 * pinned while an append to it waits: its version is then never forgotten.
 */
export class StreamVersions {
  private readonly versions = new Map<string, number>();
  /** Set once any version was forgotten: from then on, a stream missing here may have events. */
  private forgotten = false;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a stream version cache needs a capacity of at least 1, not ${capacity}`);
  }

  get size(): number {
    return this.versions.size;
  }

  get hasForgotten(): boolean {
    return this.forgotten;
  }

  get isFull(): boolean {
    return this.versions.size >= this.capacity;
  }

  has(streamId: string): boolean {
    return this.versions.has(streamId);
  }

  get(streamId: string): number | undefined {
    return this.versions.get(streamId);
  }

  /** A version a commit made: it is the newest, and the stream the most recently written. */
  written(streamId: string, version: number): void {
    this.versions.delete(streamId);
    this.versions.set(streamId, version);
  }

  /** A version read from the backend: kept only if nothing newer is known. */
  fillIn(streamId: string, version: number): void {
    if (!this.versions.has(streamId)) this.versions.set(streamId, version);
  }

  /** Forgets the least recently written versions beyond the capacity, except those of pinned streams. */
  trim(isPinned: (streamId: string) => boolean): void {
    let excess = this.versions.size - this.capacity;
    if (excess <= 0) return;
    for (const streamId of this.versions.keys()) {
      if (excess === 0) break;
      if (isPinned(streamId)) continue;
      this.versions.delete(streamId);
      this.forgotten = true;
      excess -= 1;
    }
  }
}
