import BTree from 'sorted-btree';
import type { ValueEntry } from './value-index';

export interface TagCount {
  tag: string;
  count: number;
}

/** A tag's place in the list: how many sessions hold it, then its spelling. */
type Place = readonly [count: number, tag: string];

const mostUsedFirst = (a: Place, b: Place) => b[0] - a[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

/**
 * Tags over live sessions in the order `/tags` lists them (count desc, then tag), each in its most
 * used spelling: a B+ tree told of every change of a tag's sessions by the tag index (its build
 * included), so a page is a walk from its offset instead of a sort of every tag.
 */
export class TagCounts {
  private readonly tree = new BTree<Place, true>(undefined, mostUsedFirst);
  private readonly places = new Map<string, Place>();

  /** Moves the tag `key` to its place after a change (`entry` undefined: no session holds it any more). */
  changed(key: string, entry: ValueEntry | undefined): void {
    const before = this.places.get(key);
    if (before) this.tree.delete(before);
    if (!entry) {
      this.places.delete(key);
      return;
    }
    const place = placeOf(entry);
    this.places.set(key, place);
    this.tree.set(place, true);
  }

  /** How many tags there are. */
  count(): number {
    return this.tree.size;
  }

  /** Up to `limit` tags from the `offset`th, in order. */
  page(offset: number, limit: number): TagCount[] {
    const tags: TagCount[] = [];
    if (limit <= 0) return tags;
    let skipped = 0;
    for (const [count, tag] of this.tree.keys()) {
      if (skipped < offset) {
        skipped += 1;
        continue;
      }
      tags.push({ tag, count });
      if (tags.length === limit) break;
    }
    return tags;
  }
}

/** The tag's count and most used spelling (ties: the spelling that sorts first). */
function placeOf({ slots, spellings }: ValueEntry): Place {
  let best = '';
  let bestCount = 0;
  for (const [spelling, count] of spellings) {
    if (count > bestCount || (count === bestCount && spelling < best)) {
      best = spelling;
      bestCount = count;
    }
  }
  return [slots.size, best];
}
