import assert from 'node:assert/strict';
import { TermIndex } from '../../projections/term-index';

describe('term index', () => {
  const ids = (set: ReadonlySet<string> | undefined) => (set ? [...set].sort() : set);

  it('given texts, when a term is asked for, then the sessions with a token containing it', () => {
    const index = new TermIndex();
    index.update('a', undefined, 'night drive\nana');
    index.update('b', undefined, 'drivers, ahead\nmix');
    index.update('c', undefined, 'daylight');
    assert.deepEqual(ids(index.sessionsContaining('drive', Infinity)), ['a', 'b']);
    assert.deepEqual(ids(index.sessionsContaining('ight', Infinity)), ['a', 'c']);
    assert.deepEqual(ids(index.sessionsContaining('an', Infinity)), ['a']);
    assert.deepEqual(ids(index.sessionsContaining('zzz', Infinity)), []);
  });

  it('leaves terms with other characters than letters and digits to the caller', () => {
    const index = new TermIndex();
    index.update('a', undefined, 'drivers, ahead');
    assert.equal(index.sessionsContaining('drivers,', Infinity), undefined);
  });

  it('refuses to gather more sessions than the budget from several tokens', () => {
    const index = new TermIndex();
    index.update('a', undefined, 'mix');
    index.update('b', undefined, 'remix');
    index.update('c', undefined, 'mixes');
    assert.equal(index.sessionsContaining('mix', 2), undefined);
    assert.deepEqual(ids(index.sessionsContaining('mix', 3)), ['a', 'b', 'c']);
  });

  it('follows a session as its text changes and forgets it when it goes', () => {
    const index = new TermIndex();
    index.update('a', undefined, 'old words');
    index.update('a', 'old words', 'new words');
    assert.deepEqual(ids(index.sessionsContaining('old', Infinity)), []);
    assert.deepEqual(ids(index.sessionsContaining('new', Infinity)), ['a']);
    index.update('a', 'new words', undefined);
    assert.deepEqual(ids(index.sessionsContaining('words', Infinity)), []);
  });
});
