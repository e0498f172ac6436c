import { SlotBitmap } from './slot-bitmap';

/** From this size a list is kept as a bitmap (a bit per slot then costs less than 4 bytes per entry)... */
const DENSE_FROM = 2048;
/** ...and as a sorted array again below this one, so a list near the edge does not flip at every change. */
const SPARSE_BELOW = 1024;

/**
 * A set of slot numbers: 4 bytes an entry or a bit per slot, where a Set of ids costs about 30 and
 * gives the garbage collector an object per entry to trace. A small list is a sorted Int32Array
 * (a replay only appends, since new sessions take the highest slots; a change elsewhere moves the
 * tail, at most a few KB); a large one is a bitmap, changed in place and tested without marking.
 */
export class PostingList {
  private sorted: Int32Array | null = new Int32Array(2);
  private dense: SlotBitmap | null = null;
  private count = 0;

  /** `denseFrom`: the size from which the list is a bitmap (Infinity: never, for numbers spread far apart). */
  constructor(private readonly denseFrom = DENSE_FROM) {}

  get size(): number {
    return this.count;
  }

  add(slot: number): void {
    if (this.dense) {
      if (!this.dense.has(slot)) this.count += 1;
      this.dense.add(slot);
      return;
    }
    let sorted = this.sorted!;
    const at = search(sorted, this.count, slot);
    if (at < this.count && sorted[at] === slot) return;
    if (this.count === sorted.length) {
      sorted = new Int32Array(sorted.length * 2);
      sorted.set(this.sorted!);
      this.sorted = sorted;
    }
    if (at < this.count) sorted.copyWithin(at + 1, at, this.count);
    sorted[at] = slot;
    this.count += 1;
    if (this.count >= this.denseFrom) {
      this.dense = new SlotBitmap();
      this.dense.mark(sorted.subarray(0, this.count));
      this.sorted = null;
    }
  }

  delete(slot: number): void {
    if (this.dense) {
      if (!this.dense.has(slot)) return;
      this.dense.delete(slot);
      this.count -= 1;
      if (this.count < SPARSE_BELOW) {
        this.sorted = Int32Array.from(this.dense.slotsAlsoIn([]));
        this.dense = null;
      }
      return;
    }
    const sorted = this.sorted!;
    const at = search(sorted, this.count, slot);
    if (at === this.count || sorted[at] !== slot) return;
    sorted.copyWithin(at, at + 1, this.count);
    this.count -= 1;
  }

  has(slot: number): boolean {
    if (this.dense) return this.dense.has(slot);
    const at = search(this.sorted!, this.count, slot);
    return at < this.count && this.sorted![at] === slot;
  }

  /** Calls `visit` with every slot, ascending for a sorted list. */
  forEach(visit: (slot: number) => void): void {
    if (this.dense) for (const slot of this.dense.slotsAlsoIn([])) visit(slot);
    else for (let index = 0; index < this.count; index += 1) visit(this.sorted![index]);
  }

  /** The list as a bitmap, when it is large enough to be kept as one. */
  bitmap(): SlotBitmap | null {
    return this.dense;
  }

  /** Adds every slot of the list to `target`. */
  markInto(target: SlotBitmap): void {
    if (this.dense) target.or(this.dense);
    else target.mark(this.sorted!.subarray(0, this.count));
  }

  /** The slots of the list that every one of `tests` holds too, ascending. */
  matching(tests: readonly SlotBitmap[]): number[] {
    if (this.dense) return this.dense.slotsAlsoIn(tests);
    const found: number[] = [];
    const sorted = this.sorted!;
    candidates: for (let index = 0; index < this.count; index += 1) {
      for (const test of tests) if (!test.has(sorted[index])) continue candidates;
      found.push(sorted[index]);
    }
    return found;
  }
}

/** Where `slot` is or would go in the first `count` entries; appends (the common case) skip the search. */
function search(sorted: Int32Array, count: number, slot: number): number {
  if (count === 0 || sorted[count - 1] < slot) return count;
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < slot) low = middle + 1;
    else high = middle;
  }
  return low;
}
