import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { SnapshotFiles } from '../../projections/snapshots';
import { newDataDir } from '../helpers/server';

describe('snapshot files', () => {
  let directory: string;

  beforeEach(() => {
    directory = newDataDir();
  });

  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  const header = { projection: 'sessions', version: 3, position: 42, hash: 'a'.repeat(64) };

  it('reads back any JSON items as written, from a file that is ASCII only', async () => {
    const files = new SnapshotFiles(directory);
    // Full Unicode, lone surrogates included, in keys and values; several write chunks for some runs.
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const item = fc.oneof(fc.jsonValue(), fc.dictionary(text, fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.constant(null))));
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 60 }), fc.integer({ min: 0, max: 1200 }), async (items, padding) => {
        const data = [...items, ...Array.from({ length: padding }, (_, index) => ({ index, title: 'Déjà vu ♫ 🎹' }))];
        await files.write({ ...header, data });
        const bytes = readFileSync(files.path('sessions'));
        assert.ok(bytes.every((byte) => byte < 0x7f), 'a byte outside ASCII');
        assert.deepEqual(files.read('sessions'), { ...header, data: JSON.parse(JSON.stringify(data)) });
      }),
      { numRuns: 40 },
    );
  });

  it('reads lines longer than a read piece, and lines whose newline is the last or first byte of a piece', async () => {
    const files = new SnapshotFiles(directory);
    const long = { notes: 'é'.repeat(100_000) };
    await files.write({ ...header, data: [long, { after: true }] });
    assert.deepEqual(files.read('sessions')?.data, [long, { after: true }]);

    const PIECE = 64 * 1024;
    await files.write({ ...header, data: [{ s: '' }] });
    const headerBytes = readFileSync(files.path('sessions'), 'latin1').indexOf('\n') + 1;
    const emptyItem = JSON.stringify({ s: '' }).length;
    for (const newlineAt of [PIECE - 1, PIECE, PIECE + 1]) {
      const item = { s: 'x'.repeat(newlineAt - headerBytes - emptyItem) };
      await files.write({ ...header, data: [item, { next: newlineAt }] });
      assert.equal(readFileSync(files.path('sessions'), 'latin1').indexOf('\n', headerBytes), newlineAt);
      assert.deepEqual(files.read('sessions')?.data, [item, { next: newlineAt }]);
    }
  });

  it('reads nothing from a missing file, an empty one, one with fewer items than it says, or one with raw UTF-8', async () => {
    const files = new SnapshotFiles(directory);
    assert.equal(files.read('sessions'), undefined);
    await files.write({ ...header, data: [{ a: 1 }, { b: 2 }] });
    const [headerLine, first] = readFileSync(files.path('sessions'), 'latin1').split('\n');
    writeFileSync(files.path('sessions'), `${headerLine}\n${first}\n`);
    assert.equal(files.read('sessions'), undefined);
    writeFileSync(files.path('sessions'), '');
    assert.equal(files.read('sessions'), undefined);
    // What the earlier UTF-8 files held: read as ASCII, "Déjà" would come back as mojibake.
    writeFileSync(files.path('sessions'), `${headerLine.replace('"items":2', '"items":1')}\n{"title":"Déjà"}\n`, 'utf8');
    assert.equal(files.read('sessions'), undefined);
    writeFileSync(files.path('sessions'), `${headerLine.replace('"items":2', '"items":1')}\n{"title":"Deja"}\n`, 'utf8');
    assert.deepEqual(files.read('sessions')?.data, [{ title: 'Deja' }]);
  });
});
