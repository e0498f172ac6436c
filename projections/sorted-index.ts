import BTree from 'sorted-btree';

/** ids never hold this character, so it separates an index's key from the id that ends it. */
const SEPARATOR = '\u0000';

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The ids of the items that have a key, in key order, ties by id ascending in both directions.
 * A B+ tree keyed by `key + NUL + id`: O(log n) to move an item, ordered walks from either end.
 * It is built the first time it is read, from every item at once (sorted, then appended), and kept
 * by every update after that: a replay at start-up, which no query watches, does not pay for it.
 */
export class SortedIndex<T extends { id: string }> {
  private tree: BTree<string, string> | null = null;

  /**
   * `fields`: what the key is made of (an update that leaves them all as they were costs nothing);
   * `all`: every item, to build the index from.
   */
  constructor(
    private readonly fields: ReadonlyArray<keyof T>,
    readonly keyOf: (item: T) => string | null,
    private readonly all: () => Iterable<T>,
  ) {}

  /** Moves an item from its old key to its new one (either side may be absent). */
  update(before: T | undefined, after: T | undefined): void {
    if (this.tree === null) return;
    if (before && after && this.fields.every((field) => before[field] === after[field])) return;
    const oldKey = before ? this.keyOf(before) : null;
    const newKey = after ? this.keyOf(after) : null;
    if (oldKey === newKey && before?.id === after?.id) return;
    if (before && oldKey !== null) this.tree.delete(oldKey + SEPARATOR + before.id);
    if (after && newKey !== null) this.tree.set(newKey + SEPARATOR + after.id, after.id);
  }

  private built(): BTree<string, string> {
    if (this.tree === null) {
      const entries: Array<[string, string]> = [];
      for (const item of this.all()) {
        const key = this.keyOf(item);
        if (key !== null) entries.push([key + SEPARATOR + item.id, item.id]);
      }
      entries.sort(([a], [b]) => compareStrings(a, b));
      this.tree = new BTree<string, string>(undefined, compareStrings);
      for (const [key, id] of entries) this.tree.set(key, id);
    }
    return this.tree;
  }

  /** Ids in ascending key order, or descending with equal keys still by id ascending. */
  *walk(direction: 'asc' | 'desc'): Generator<string> {
    const tree = this.built();
    if (direction === 'asc') {
      yield* tree.values();
      return;
    }
    let run: string[] = [];
    let runKey: string | null = null;
    for (const [entry, id] of tree.entriesReversed()) {
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

  /** How many ids have a key of at least `lowest`: counted in the tree's leaves, nothing gathered. */
  countFrom(lowest: string): number {
    const tree = this.built();
    const highest = tree.maxKey();
    return highest === undefined ? 0 : tree.forRange(lowest, highest, true);
  }

  /** Ids whose key is at least `lowest`, in ascending order. */
  from(lowest: string): string[] {
    const tree = this.built();
    const ids: string[] = [];
    const highest = tree.maxKey();
    if (highest !== undefined) tree.forRange(lowest, highest, true, (_key, id) => void ids.push(id));
    return ids;
  }
}
