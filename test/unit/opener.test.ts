import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { resolveOpener } from '../../src/opener';

describe('opener lookup', () => {
  let root: string;
  let first: string;
  let second: string;

  const executable = (directory: string, name: string) => {
    const path = join(directory, name);
    writeFileSync(path, '#!/bin/sh\n', { mode: 0o755 });
    return path;
  };
  const pathOf = (...directories: string[]) => ({ PATH: directories.join(delimiter) });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sessiondock-opener-'));
    first = join(root, 'first');
    second = join(root, 'second');
    mkdirSync(first);
    mkdirSync(second);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds a bare name in the first PATH directory that has it as an executable file', () => {
    executable(second, 'opener');
    const winner = executable(first, 'opener');
    assert.equal(resolveOpener('opener', 'linux', pathOf(first, second)), winner);
    assert.equal(resolveOpener('opener', 'linux', pathOf(second, first)), join(second, 'opener'));
  });

  it('skips a directory, a file that is not executable, and relative or empty PATH entries', () => {
    mkdirSync(join(first, 'opener'));
    writeFileSync(join(second, 'opener'), '#!/bin/sh\n', { mode: 0o644 });
    const third = join(root, 'third');
    mkdirSync(third);
    const found = executable(third, 'opener');
    assert.equal(resolveOpener('opener', 'linux', pathOf('', '.', 'relative', first, second, third)), found);
    assert.equal(resolveOpener('opener', 'linux', pathOf(first, second)), null);
    assert.equal(resolveOpener('opener', 'linux', {}), null);
  });

  it('takes an absolute path only if it is an executable regular file', () => {
    const path = executable(first, 'opener');
    assert.equal(resolveOpener(path, 'linux', {}), path);
    assert.equal(resolveOpener(join(first, 'missing'), 'linux', pathOf(first)), null);
    assert.equal(resolveOpener(first, 'linux', {}), null);
    writeFileSync(join(second, 'plain'), '', { mode: 0o644 });
    assert.equal(resolveOpener(join(second, 'plain'), 'linux', {}), null);
  });

  it('never resolves a relative path or a command line', () => {
    executable(first, 'opener');
    mkdirSync(join(first, 'bin'));
    executable(join(first, 'bin'), 'opener');
    assert.equal(resolveOpener('bin/opener', 'linux', pathOf(first)), null);
    assert.equal(resolveOpener('./opener', 'linux', pathOf(first)), null);
    assert.equal(resolveOpener('opener --new-window', 'linux', pathOf(first)), null);
  });

  it("falls back to the platform's opener: open, xdg-open, explorer.exe, none elsewhere", () => {
    const env = pathOf(first);
    for (const name of ['open', 'xdg-open', 'explorer.exe']) executable(first, name);
    assert.equal(resolveOpener(null, 'darwin', env), join(first, 'open'));
    assert.equal(resolveOpener(null, 'linux', env), join(first, 'xdg-open'));
    assert.equal(resolveOpener(null, 'win32', env), join(first, 'explorer.exe'));
    assert.equal(resolveOpener(null, 'aix', env), null);
    assert.equal(resolveOpener(null, 'linux', pathOf(second)), null);
  });
});
