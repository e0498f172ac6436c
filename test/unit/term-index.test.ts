import assert from 'node:assert/strict';
import { TermIndex } from '../../projections/term-index';

/** An index over a map of texts, kept in step the way the sessions read model keeps it. */
function catalogue(initial: Record<string, string> = {}) {
  const ids = Object.keys(initial);
  const texts: Array<string | undefined> = Object.values(initial);
  const index = new TermIndex({ slotLimit: () => texts.length, textAt: (slot) => texts[slot], idAt: (slot) => ids[slot] });
  return {
    index,
    set(id: string, text: string | undefined) {
      let slot = ids.indexOf(id);
      if (slot === -1) slot = ids.push(id) - 1;
      index.update(slot, texts[slot], text);
      texts[slot] = text;
    },
  };
}

const ids = (set: ReadonlySet<string> | undefined) => (set ? [...set].sort() : set);

describe('term index', () => {
  it('given texts, when a term is asked for, then the sessions with a token containing it', () => {
    const { index } = catalogue({ a: 'night drive\nana', b: 'drivers, ahead\nmix', c: 'daylight' });
    assert.deepEqual(ids(index.sessionsContaining('drive', Infinity)), ['a', 'b']);
    assert.deepEqual(ids(index.sessionsContaining('ight', Infinity)), ['a', 'c']);
    assert.deepEqual(ids(index.sessionsContaining('an', Infinity)), ['a']);
    assert.deepEqual(ids(index.sessionsContaining('zzz', Infinity)), []);
  });

  it('leaves terms with other characters than letters and digits to the caller', () => {
    const { index } = catalogue({ a: 'drivers, ahead' });
    assert.equal(index.sessionsContaining('drivers,', Infinity), undefined);
  });

  it('refuses to gather more sessions than the budget from several tokens', () => {
    const { index } = catalogue({ a: 'mix', b: 'remix', c: 'mixes' });
    assert.equal(index.sessionsContaining('mix', 2), undefined);
    assert.deepEqual(ids(index.sessionsContaining('mix', 3)), ['a', 'b', 'c']);
  });

  it('is built the first time a term is asked for, and follows every change after that', () => {
    const { index, set } = catalogue({ a: 'old words' });
    set('b', 'before the first question');
    assert.deepEqual(ids(index.sessionsContaining('question', Infinity)), ['b']);
    set('a', 'new words');
    assert.deepEqual(ids(index.sessionsContaining('old', Infinity)), []);
    assert.deepEqual(ids(index.sessionsContaining('new', Infinity)), ['a']);
    set('a', undefined);
    assert.deepEqual(ids(index.sessionsContaining('words', Infinity)), []);
  });
});
