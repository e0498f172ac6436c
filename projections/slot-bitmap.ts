/**
 * One bit per slot: a query tests its candidates against its other filters here, a few
 * nanoseconds a test. The model keeps one per large list (see PostingList) and reuses scratch
 * ones for unions, so a request allocates none.
 */
export class SlotBitmap {
  private words = new Uint32Array(0);

  /** Makes room for slots below `capacity` and clears every bit. */
  reset(capacity: number): void {
    const needed = (capacity + 31) >>> 5;
    if (this.words.length < needed) this.words = new Uint32Array(needed * 2);
    else this.words.fill(0);
  }

  add(slot: number): void {
    const word = slot >>> 5;
    if (word >= this.words.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.words.length + (this.words.length >>> 2)));
      grown.set(this.words);
      this.words = grown;
    }
    this.words[word] |= 1 << (slot & 31);
  }

  delete(slot: number): void {
    const word = slot >>> 5;
    if (word < this.words.length) this.words[word] &= ~(1 << (slot & 31));
  }

  mark(slots: ArrayLike<number>): void {
    for (let index = 0; index < slots.length; index += 1) this.add(slots[index]);
  }

  /** Adds every slot of `other`. */
  or(other: SlotBitmap): void {
    const theirs = other.words;
    if (theirs.length > this.words.length) {
      const grown = new Uint32Array(theirs.length);
      grown.set(this.words);
      this.words = grown;
    }
    for (let word = 0; word < theirs.length; word += 1) this.words[word] |= theirs[word];
  }

  has(slot: number): boolean {
    return (this.words[slot >>> 5] & (1 << (slot & 31))) !== 0;
  }

  /** The slots marked here and in every one of `others`, ascending: 32 slots tested at a time. */
  slotsAlsoIn(others: readonly SlotBitmap[]): number[] {
    const found: number[] = [];
    const words = this.words;
    for (let word = 0; word < words.length; word += 1) {
      let bits = words[word];
      for (let other = 0; other < others.length && bits !== 0; other += 1) bits &= others[other].words[word] ?? 0;
      while (bits !== 0) {
        const low = bits & -bits;
        found.push((word << 5) + 31 - Math.clz32(low));
        bits ^= low;
      }
    }
    return found;
  }
}
