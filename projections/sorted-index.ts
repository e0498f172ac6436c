import BTree from 'sorted-btree';

/** ids never hold this character, so it separates an index's key from the id that ends it. */
const SEPARATOR = '\u0000';

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The ids of the items that have a key, in key order, ties by id ascending in both directions.
 * A B+ tree keyed by `key + NUL + id`: O(log n) to move an item, ordered walks from either end.
 */
export class SortedIndex<T extends { id: string }> {
  private readonly tree = new BTree<string, string>(undefined, compareStrings);

  constructor(readonly keyOf: (item: T) => string | null) {}

  /** Moves an item from its old key to its new one (either side may be absent). */
  update(before: T | undefined, after: T | undefined): void {
    const oldKey = before ? this.keyOf(before) : null;
    const newKey = after ? this.keyOf(after) : null;
    if (oldKey === newKey && before?.id === after?.id) return;
    if (before && oldKey !== null) this.tree.delete(oldKey + SEPARATOR + before.id);
    if (after && newKey !== null) this.tree.set(newKey + SEPARATOR + after.id, after.id);
  }

  get size(): number {
    return this.tree.size;
  }

  /** Ids in ascending key order, or descending with equal keys still by id ascending. */
  *walk(direction: 'asc' | 'desc'): Generator<string> {
    if (direction === 'asc') {
      yield* this.tree.values();
      return;
    }
    let run: string[] = [];
    let runKey: string | null = null;
    for (const [entry, id] of this.tree.entriesReversed()) {
      const key = entry.slice(0, entry.length - id.length - 1);
      if (key !== runKey) {
        for (let index = run.length - 1; index >= 0; index -= 1) yield run[index];
        run = [];
        runKey = key;
      }
      run.push(id);
    }
    for (let index = run.length - 1; index >= 0; index -= 1) yield run[index];
  }

  /** Ids whose key is at least `lowest`, in ascending order. */
  *from(lowest: string): Generator<string> {
    for (const [, id] of this.tree.entries(lowest)) yield id;
  }
}
