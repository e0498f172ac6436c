import assert from 'node:assert/strict';
import { seededRandom } from '../../bench/catalogue';
import { TagCounts } from '../../projections/tag-counts';
import { TermIndex } from '../../projections/term-index';
import { ValueIndex } from '../../projections/value-index';

/*
 * Finding 4's index: the word index kept by every change, also while its first build is under way
 * a slot at a time, answers exactly what an index built from the final texts answers, and what a
 * substring search of every text answers (§5.3).
 */

const ALPHABET = 'abcdeé1';

function catalogueOf(texts: Array<string | undefined>) {
  return new TermIndex({ slotLimit: () => texts.length, textAt: (slot) => texts[slot], idAt: (slot) => `s${slot}` });
}

const answer = (index: TermIndex, term: string) => [...(index.sessionsContaining(term, Number.POSITIVE_INFINITY) ?? [])].sort();
const bySubstring = (texts: Array<string | undefined>, term: string) =>
  texts.flatMap((text, slot) => (text !== undefined && text.includes(term) ? [`s${slot}`] : [])).sort();

describe('hardening: the word index, kept by changes during and after its build (finding 4)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`given random texts changed, removed and added while the build runs a slot at a time (seed ${seed}), then every 1-, 2- and 3-character term and longer words answer as a fresh index and a substring search do`, () => {
      const random = seededRandom(seed);
      const word = () => Array.from({ length: 1 + Math.floor(random() * 5) }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join('');
      const textOf = () => Array.from({ length: Math.floor(random() * 6) }, word).join(random() < 0.5 ? ' ' : '\n');
      const texts: Array<string | undefined> = Array.from({ length: 40 }, textOf);
      const kept = catalogueOf(texts);
      const change = () => {
        const slot = Math.floor(random() * (texts.length + 2));
        const next = random() < 0.2 ? undefined : textOf();
        kept.update(slot, texts[slot], next);
        texts[slot] = next;
      };
      // The build reads one slot per call (its budget is spent after each); changes land between.
      while (kept.buildSome(0)) if (random() < 0.7) change();
      for (let step = 0; step < 200; step += 1) change();
      const fresh = catalogueOf([...texts]);
      const terms = new Set<string>();
      for (const a of ALPHABET) {
        terms.add(a);
        for (const b of ALPHABET) terms.add(a + b);
      }
      for (let extra = 0; extra < 60; extra += 1) terms.add(word() + word());
      for (const term of terms) {
        const expected = bySubstring(texts, term);
        assert.deepEqual(answer(kept, term), expected, `kept: ${term}`);
        assert.deepEqual(answer(fresh, term), expected, `fresh: ${term}`);
      }
    });
  }

  it('answers a term of one or two characters as one list, whatever the budget', () => {
    const index = catalogueOf(['mix', 'remix', 'mixes', 'max']);
    assert.deepEqual(answer(index, 'mi'), ['s0', 's1', 's2']);
    assert.deepEqual([...index.sessionsContaining('x', 1)!].sort(), ['s0', 's1', 's2', 's3']);
  });
});

describe('hardening: the tag index and the tags\' order, kept by changes during and after a sliced build (finding 11)', () => {
  for (const seed of [1, 2, 3]) {
    it(`given tags changed while the build runs a slot at a time (seed ${seed}), then the same entries and order as an index built from the final items`, () => {
      const random = seededRandom(seed);
      const spellings = ['mix', 'Mix', 'MIX', 'vocals', 'Vocals', 'edm', 'café', 'Café', 'drums'];
      const tagsOf = () => [...new Set(Array.from({ length: Math.floor(random() * 4) }, () => spellings[Math.floor(random() * spellings.length)]))];
      const items: Array<string[] | undefined> = Array.from({ length: 30 }, tagsOf);
      const indexOf = (source: Array<string[] | undefined>) => {
        const order = new TagCounts();
        const index = new ValueIndex<string[]>((tags) => tags, { slotLimit: () => source.length, itemAt: (slot) => source[slot] }, undefined, (key, entry) => order.changed(key, entry));
        return { index, order };
      };
      const kept = indexOf(items);
      const change = () => {
        const slot = Math.floor(random() * (items.length + 2));
        const next = random() < 0.2 ? undefined : tagsOf();
        kept.index.update(slot, items[slot], next);
        items[slot] = next;
      };
      while (kept.index.buildSome(0)) if (random() < 0.7) change();
      for (let step = 0; step < 100; step += 1) change();
      const fresh = indexOf([...items]);
      fresh.index.byKey();
      const entries = (index: ValueIndex<string[]>) => [...index.byKey()].map(([key, { slots, spellings: spelt }]) => [key, slots.matching([]), [...spelt].sort()]).sort();
      assert.deepEqual(entries(kept.index), entries(fresh.index));
      assert.deepEqual(kept.order.page(0, 100), fresh.order.page(0, 100));
      assert.deepEqual(kept.order.page(2, 3), fresh.order.page(0, 100).slice(2, 5));
    });
  }
});
