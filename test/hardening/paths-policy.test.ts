import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { Stats } from 'node:fs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, uptime } from 'node:os';
import { join } from 'node:path';
import { acquireDataDirLock, holderAlive, LOCK_FILE, processStartOf, type LockHolder } from '../../src/files/data-dir-lock';
import { isPlatformAbsolute, isWithin, locationRefusal, projectLocationRefusal, type PathPolicy } from '../../src/files/path-policy';
import { dataDirectoryProblem, tightenedMode, tokenFileProblem } from '../../src/files/private-files';
import { launchEnvironment } from '../../src/opener';
import { isStoreError } from '../../src/store/errors';
import { eventually } from '../helpers/eventually';

/* The pure rules behind findings 2, 13, 14, 15 and 18, and the lock file's holder checks. */

const posix: PathPolicy = { platform: 'linux', protectedDirectories: ['/var/data/sessiondock'], homeDirectory: '/home/me' };
const windows: PathPolicy = { platform: 'win32', protectedDirectories: ['C:\\Users\\me\\AppData\\Local\\sessiondock\\Data'], homeDirectory: 'C:\\Users\\me' };

const stats = (kind: 'file' | 'directory' | 'link' | 'device', uid: number, mode: number) =>
  ({
    uid,
    mode,
    isFile: () => kind === 'file',
    isDirectory: () => kind === 'directory',
    isSymbolicLink: () => kind === 'link',
  }) as unknown as Stats;

describe('hardening: the path policy (pure)', () => {
  it('takes only the running platform\'s absolute form', () => {
    for (const path of ['/Users/me/Song.als', '/']) assert.equal(isPlatformAbsolute(path, 'linux'), true, path);
    for (const path of ['C:\\evil', 'C:/..', 'c:/Music', '\\\\server\\share\\x', 'relative/x', '', '/etc/passwd\0.wav']) {
      assert.equal(isPlatformAbsolute(path, 'linux'), false, path);
    }
    for (const path of ['C:\\Music\\Song', 'd:/Music', '\\\\server\\share\\Song']) assert.equal(isPlatformAbsolute(path, 'win32'), true, path);
    for (const path of ['/Users/me/Song', '\\Music', 'C:Music', '\\\\server', 'Music']) assert.equal(isPlatformAbsolute(path, 'win32'), false, path);
  });

  it('tells what lies within a directory, by whole components (Windows ignoring case)', () => {
    assert.equal(isWithin('/var/data/sessiondock/log/LOCK', '/var/data/sessiondock', 'linux'), true);
    assert.equal(isWithin('/var/data/sessiondock', '/var/data/sessiondock', 'linux'), true);
    assert.equal(isWithin('/var/data/sessiondock-other/x', '/var/data/sessiondock', 'linux'), false);
    assert.equal(isWithin('/var/data/..sessiondock', '/var/data', 'linux'), true);
    assert.equal(isWithin('c:\\users\\ME\\appdata\\local\\SESSIONDOCK\\data\\log', windows.protectedDirectories[0], 'win32'), true);
  });

  it('refuses the data directory, what holds it, and system trees; allows ordinary places', () => {
    assert.match(locationRefusal('/var/data/sessiondock/log/LOCK', posix)!, /data directory/);
    assert.match(locationRefusal('/var/data', posix)!, /data directory/);
    for (const path of ['/proc/self/environ', '/sys/kernel', '/dev/zero', '/etc/shadow', '/boot/vmlinuz', '/run/user/1000/bus', '/private/etc/passwd']) {
      assert.match(locationRefusal(path, posix)!, /system directory/, path);
    }
    for (const path of ['/home/me/Music/Song A', '/tmp/x.wav', '/Volumes/Audio/mix.wav', '/procedures/x', '/devices/y', '/etcetera']) assert.equal(locationRefusal(path, posix), null, path);
    assert.match(locationRefusal('\\\\.\\PhysicalDrive0', windows)!, /device namespace/);
    assert.match(locationRefusal('C:\\Users\\me\\AppData\\Local\\sessiondock\\Data\\token', windows)!, /data directory/);
    assert.equal(locationRefusal('D:\\Music\\Song A', windows), null);
  });

  it('refuses whole accounts as projects: /, /root, /home, the home directory, a drive root', () => {
    for (const path of ['/', '/root', '/home', '/Users', '/home/me']) assert.notEqual(projectLocationRefusal(path, posix), null, path);
    assert.equal(projectLocationRefusal('/home/me/Music/Song A', posix), null);
    assert.equal(projectLocationRefusal('/root/Music/Song A', posix), null);
    assert.notEqual(projectLocationRefusal('C:\\', windows), null);
    assert.notEqual(projectLocationRefusal('C:\\Users\\me', windows), null);
    assert.equal(projectLocationRefusal('C:\\Users\\me\\Music\\Song A', windows), null);
  });
});

describe('hardening: private files and the launched environment (pure)', () => {
  const owner = { platform: 'linux' as const, uid: 1000 };

  it('trusts a token file only as a regular 0600 (or stricter) file of this user; Windows checks the type only', () => {
    assert.equal(tokenFileProblem('/d/token', stats('file', 1000, 0o100600), owner), null);
    assert.equal(tokenFileProblem('/d/token', stats('file', 1000, 0o100400), owner), null);
    assert.match(tokenFileProblem('/d/token', stats('link', 1000, 0o120777), owner)!, /symbolic link/);
    assert.match(tokenFileProblem('/d/token', stats('device', 0, 0o20666), owner)!, /not a regular file/);
    assert.equal(tokenFileProblem('/d/token', stats('file', 1000, 0o100644), owner), 'the token file /d/token can be read or written by others (mode 0644); run: chmod 600 /d/token');
    assert.match(tokenFileProblem('/d/token', stats('file', 1000, 0o100620), owner)!, /mode 0620/);
    assert.equal(tokenFileProblem('/d/token', stats('file', 0, 0o100600), owner), 'the token file /d/token belongs to another user (uid 0); run: chown 1000 /d/token');
    assert.equal(tokenFileProblem('C:\\d\\token', stats('file', 0, 0o100666), { platform: 'win32', uid: undefined }), null);
    assert.match(tokenFileProblem('C:\\d\\token', stats('link', 0, 0o100666), { platform: 'win32', uid: undefined })!, /symbolic link/);
  });

  it('tightens a data directory open to others, refuses one of another user or one that is no directory', () => {
    assert.equal(tightenedMode(stats('directory', 1000, 0o40755), owner), 0o700);
    assert.equal(tightenedMode(stats('directory', 1000, 0o40700), owner), null);
    assert.equal(tightenedMode(stats('directory', 1000, 0o40777), { platform: 'win32', uid: undefined }), null);
    assert.equal(dataDirectoryProblem('/d', stats('directory', 1000, 0o40755), owner), null);
    assert.match(dataDirectoryProblem('/d', stats('directory', 0, 0o40700), owner)!, /belongs to another user/);
    assert.match(dataDirectoryProblem('/d', stats('file', 1000, 0o100600), owner)!, /not a directory/);
  });

  it('drops every SESSIONDOCK_* variable, in any case, from a launched program\'s environment', () => {
    const env = { PATH: '/usr/bin', HOME: '/home/me', SESSIONDOCK_TOKEN: 'secret', SESSIONDOCK_DATA_DIR: '/d', Sessiondock_Opener: 'x', SESSIONDOCKER: 'kept' };
    assert.deepEqual(launchEnvironment(env), { PATH: '/usr/bin', HOME: '/home/me', SESSIONDOCKER: 'kept' });
  });
});

describe('hardening: the data directory lock file', () => {
  let dir: string;
  const holder = (overrides: Partial<LockHolder>): LockHolder => ({
    pid: process.pid,
    hostname: hostname(),
    processStart: processStartOf(process.pid),
    command: 'test',
    nonce: 'n',
    since: new Date().toISOString(),
    ...overrides,
  });

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'sessiondock-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('counts a holder alive while its process runs, and gone once it exited, its pid is another process now, or it was an earlier run of this pid', () => {
    const file = join(dir, LOCK_FILE);
    const exited = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    assert.equal(holderAlive(holder({ pid: exited }), file), false);
    assert.equal(holderAlive(holder({ pid: process.ppid, processStart: null }), file), true);
    if (processStartOf(process.pid) !== null) assert.equal(holderAlive(holder({ pid: process.ppid, processStart: 'not-its-start' }), file), false);
    assert.equal(holderAlive(holder({ nonce: 'an earlier run of this pid' }), file), false);
    assert.equal(holderAlive(holder({ pid: exited, hostname: 'another-host' }), file), true, 'another host cannot be checked: kept');
    assert.equal(holderAlive(holder({ pid: -1 }), file), false);
  });

  it('counts a holder from before the machine last started as gone, even where its pid runs and no start time tells it apart', () => {
    const file = join(dir, LOCK_FILE);
    const beforeBoot = new Date(Date.now() - uptime() * 1000 - 86_400_000).toISOString();
    assert.equal(holderAlive(holder({ pid: process.ppid, processStart: null, since: beforeBoot }), file), false);
    assert.equal(holderAlive(holder({ pid: process.ppid, processStart: null }), file), true);
  });

  it('names the lock file to remove when it refuses', () => {
    const lock = acquireDataDirLock(dir, 'first');
    try {
      assert.throws(
        () => acquireDataDirLock(dir, 'second'),
        (error) => isStoreError(error, 'STORE_LOCKED') && error.message.endsWith(`if no sessiondock runs on it, remove ${join(dir, LOCK_FILE)}`),
      );
    } finally {
      lock.release();
    }
  });

  it('counts a zombie (killed, not yet reaped) as gone', async function () {
    if (processStartOf(process.pid) === null) this.skip();
    // `sleep 0` becomes a zombie: its parent exec'd into `sleep 5`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5']);
    try {
      const zombie = Number((await new Promise<Buffer>((resolve) => parent.stdout.once('data', resolve))).toString().trim());
      await eventually(async () => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1][0], (state) => state === 'Z', 'the child to be a zombie');
      assert.equal(holderAlive(holder({ pid: zombie, processStart: null }), join(dir, LOCK_FILE)), false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('is taken once, refused while held, taken over from a dead or damaged holder, and released only by its holder', () => {
    const lock = acquireDataDirLock(dir, 'first');
    assert.throws(() => acquireDataDirLock(dir, 'second'), (error) => isStoreError(error, 'STORE_LOCKED') && /held by first/.test(error.message));
    lock.release();
    lock.release();
    const second = acquireDataDirLock(dir, 'second');
    second.release();

    writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
    const afterDamage = acquireDataDirLock(dir, 'after damage');
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).command, 'after damage');
    // Replaced by someone else meanwhile: release leaves the other's file alone
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(holder({ pid: process.ppid, processStart: null, nonce: 'theirs' })));
    afterDamage.release();
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).nonce, 'theirs');
  });
});
