import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { crc32Hex, READ_PIECE } from '../../projections/snapshot-items';
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

    const PIECE = READ_PIECE;
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

  it('reads nothing from a missing file, an empty one, one with fewer or more items than it says, a changed byte, or raw UTF-8', async () => {
    const files = new SnapshotFiles(directory);
    assert.equal(files.read('sessions'), undefined);
    // A file as the writer would make it, but of these lines: its header's count and CRC are theirs.
    const fileOf = (lines: string[], encoding: BufferEncoding = 'latin1') => {
      const body = Buffer.from(lines.map((line) => `${line}\n`).join(''), encoding);
      writeFileSync(files.path('sessions'), `${JSON.stringify({ ...header, items: lines.length, crc32: crc32Hex(crc32(body)) })}\n${body.toString('latin1')}`, 'latin1');
    };
    fileOf(['{"title":"Deja"}']);
    assert.deepEqual(files.read('sessions')?.data, [{ title: 'Deja' }]);

    await files.write({ ...header, data: [{ a: 1 }, { b: 2 }] });
    const [headerLine, first, second] = readFileSync(files.path('sessions'), 'latin1').split('\n');
    writeFileSync(files.path('sessions'), `${headerLine}\n${first}\n`);
    assert.equal(files.read('sessions'), undefined, 'an item missing');
    writeFileSync(files.path('sessions'), `${headerLine}\n${first}\n${second}\n${second}\n`);
    assert.equal(files.read('sessions'), undefined, 'an item too many');
    writeFileSync(files.path('sessions'), `${headerLine}\n${first}\n${second.replace('2', '3')}\n`);
    assert.equal(files.read('sessions'), undefined, 'a digit changed: still JSON, but not what was written');
    writeFileSync(files.path('sessions'), `${headerLine}\n${first}\n${second}`);
    assert.equal(files.read('sessions'), undefined, 'the last newline missing');
    writeFileSync(files.path('sessions'), '');
    assert.equal(files.read('sessions'), undefined, 'empty');
    // What the earlier UTF-8 files held: read as ASCII, "Déjà" would come back as mojibake.
    fileOf(['{"title":"Déjà"}'], 'utf8');
    assert.equal(files.read('sessions'), undefined, 'raw UTF-8');
    // The format before the CRC: its header has none.
    writeFileSync(files.path('sessions'), `${JSON.stringify({ ...header, items: 1 })}\n{"title":"Deja"}\n`);
    assert.equal(files.read('sessions'), undefined, 'no CRC');
  });

  it('gives each item\'s leading string member without parsing it, where it has no escapes and its line starts in the piece read', async () => {
    const files = new SnapshotFiles(directory);
    const data = [
      { id: 'session_1', title: 'a' },
      { title: 'b', id: 'session_2' },
      { id: 'with \\ an escape' },
      { id: 7 },
      { name: 'session_3' },
      ['id', 'x'],
      { id: 'x'.repeat(READ_PIECE) },
      { id: 'session_4', after: 'a line that starts in a later piece' },
    ];
    await files.write({ ...header, data });
    const opened = files.open('sessions')!;
    try {
      assert.equal(opened.items.length, data.length);
      assert.deepEqual(
        data.map((_, index) => opened.items.leadingString(index, 'id')),
        ['session_1', undefined, undefined, undefined, undefined, undefined, undefined, 'session_4'],
      );
      assert.equal(opened.items.leadingString(4, 'name'), 'session_3');
      assert.equal(opened.items.leadingString(0, 'title'), undefined);
      // Out of order, and again: each read from the file where it is.
      for (const index of [7, 0, 6, 2, 0, 5]) assert.deepEqual(opened.items.item(index), data[index]);
    } finally {
      opened.items.close();
    }
    assert.throws(() => opened.items.item(1), /closed/);
  });
});
