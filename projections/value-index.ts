import { PostingList } from './posting-list';

/** A value as an index holds it: its slots, and how many items spell it each way. */
export interface ValueEntry {
  slots: PostingList;
  spellings: Map<string, number>;
}

const lowerCase = (value: string) => value.toLowerCase();

/** What an index is built from: the owner's items by slot. */
export interface SlotItems<T> {
  /** Every slot in use is below this. */
  slotLimit(): number;
  /** The item in `slot`; undefined for a free slot. */
  itemAt(slot: number): T | undefined;
}

/**
 * Slots by a value's key (by default its lower case: a session's kind, each of its tags), with each
 * spelling of a value counted. Built the first time it is read (at once, or a slice per turn with
 * `buildSome`), and kept by every update after that: a replay or a snapshot load at start-up, which
 * no query watches, does not pay for it (about a fifth of a million-event replay). An update to a
 * slot the build has passed moves it; one ahead of the build is read when the build gets there.
 */
export class ValueIndex<T> {
  private readonly entries = new Map<string, ValueEntry>();
  /** Slots below this are in the index. */
  private builtBelow = 0;

  /**
   * `valuesOf`: an item's values, as spelt; `source`: the items by slot, to build the index from;
   * `keyOf`: what makes two values the same.
   */
  constructor(
    private readonly valuesOf: (item: T) => readonly string[],
    private readonly source: SlotItems<T>,
    private readonly keyOf: (value: string) => string = lowerCase,
    /** Told of every key a change (or the build) touched, with its entry after it (undefined: gone). */
    private readonly onChange?: (key: string, entry: ValueEntry | undefined) => void,
  ) {}

  /** Moves the item in `slot` from the values of `before` to those of `after` (either may be absent). */
  update(slot: number, before: T | undefined, after: T | undefined): void {
    if (slot < this.builtBelow) this.moveAndTell(slot, before ? this.valuesOf(before) : [], after ? this.valuesOf(after) : []);
  }

  /** Whether every slot is in. */
  get complete(): boolean {
    return this.builtBelow >= this.source.slotLimit();
  }

  /** Indexes slots for at most `budgetMs`; whether any are left. */
  buildSome(budgetMs: number): boolean {
    const deadline = performance.now() + budgetMs;
    while (this.builtBelow < this.source.slotLimit()) {
      const slot = this.builtBelow;
      this.builtBelow += 1;
      const item = this.source.itemAt(slot);
      if (item !== undefined) this.moveAndTell(slot, [], this.valuesOf(item));
      if (performance.now() >= deadline) break;
    }
    return !this.complete;
  }

  /** The slots holding a value with this key, if any does. */
  slotsOf(key: string): PostingList | undefined {
    return this.built().get(key)?.slots;
  }

  /** Every value held, by its key. */
  byKey(): ReadonlyMap<string, ValueEntry> {
    return this.built();
  }

  private built(): Map<string, ValueEntry> {
    while (this.buildSome(Number.POSITIVE_INFINITY));
    return this.entries;
  }

  private moveAndTell(slot: number, before: readonly string[], after: readonly string[]): void {
    const changed = this.move(this.entries, slot, before, after);
    if (this.onChange) for (const key of new Set(changed)) this.onChange(key, this.entries.get(key));
  }

  /** Moves the item in `slot` between values; the keys it touched. */
  private move(entries: Map<string, ValueEntry>, slot: number, before: readonly string[], after: readonly string[]): string[] {
    const newKeys = after.map(this.keyOf);
    const changed = [...newKeys];
    for (const value of before) {
      const key = this.keyOf(value);
      const entry = entries.get(key);
      if (!entry) continue;
      changed.push(key);
      const count = entry.spellings.get(value)! - 1;
      if (count > 0) entry.spellings.set(value, count);
      else entry.spellings.delete(value);
      if (!newKeys.includes(key)) entry.slots.delete(slot);
      if (entry.slots.size === 0) entries.delete(key);
    }
    for (const [index, key] of newKeys.entries()) {
      let entry = entries.get(key);
      if (!entry) entries.set(key, (entry = { slots: new PostingList(), spellings: new Map() }));
      entry.slots.add(slot);
      entry.spellings.set(after[index], (entry.spellings.get(after[index]) ?? 0) + 1);
    }
    return changed;
  }
}
