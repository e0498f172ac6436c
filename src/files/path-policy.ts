import path from 'node:path';

/*
 * Which paths the server may open or hand to the opener, as pure rules over a path that has
 * already been resolved to its real spelling (symbolic links and `..` gone). The I/O that resolves
 * and inspects a path is in usable-path.ts.
 */

export interface PathPolicy {
  platform: NodeJS.Platform;
  /** Real paths of the directories the server keeps its own files in (its data directories). */
  protectedDirectories: readonly string[];
  /** The real path of the server user's home directory, which is never a project by itself. */
  homeDirectory: string | null;
}

/**
 * Kernel and device views, system configuration and run-time state: no project or audio file
 * lives there, and some of them block or change state when read.
 */
const POSIX_SYSTEM_TREES = ['/proc', '/sys', '/dev', '/etc', '/boot', '/run', '/private/etc', '/private/var/run'];
/** Windows' device and raw namespaces (`\\.\PhysicalDrive0`, `\\?\GLOBALROOT\...`). */
const WINDOWS_DEVICE_PREFIXES = ['\\\\.\\', '\\\\?\\', '//./', '//?/'];
/** Directories that hold whole accounts: a project is a folder inside one, never the account itself. */
const POSIX_ACCOUNT_ROOTS = ['/', '/root', '/home', '/Users'];

const flavour = (platform: NodeJS.Platform) => (platform === 'win32' ? path.win32 : path.posix);

/**
 * The running platform's absolute form only: on POSIX `C:\x` and `C:/x` are relative names, on
 * Windows `/x` has no drive. A NUL byte is never part of a usable path.
 */
export function isPlatformAbsolute(candidate: string, platform: NodeJS.Platform): boolean {
  if (candidate.length === 0 || candidate.includes('\0')) return false;
  if (platform !== 'win32') return path.posix.isAbsolute(candidate);
  return /^[A-Za-z]:[\\/]/.test(candidate) || /^[\\/]{2}[^\\/]+[\\/][^\\/]+/.test(candidate);
}

/** `candidate` is `directory` or lies below it (both real paths; Windows compares case-insensitively). */
export function isWithin(candidate: string, directory: string, platform: NodeJS.Platform): boolean {
  const paths = flavour(platform);
  const fold = (value: string) => (platform === 'win32' ? value.toLowerCase() : value);
  const relative = paths.relative(fold(directory), fold(candidate));
  // `..name` is a name in the directory; only `..` as a whole component leaves it.
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${paths.sep}`) && !paths.isAbsolute(relative));
}

/** Why the server may not use a real path at all, whatever it is for; null when it may. */
export function locationRefusal(realPath: string, policy: PathPolicy): string | null {
  const { platform } = policy;
  for (const directory of policy.protectedDirectories) {
    if (isWithin(realPath, directory, platform) || isWithin(directory, realPath, platform)) return `it is or holds the server's data directory ${directory}`;
  }
  if (platform === 'win32') {
    const prefix = WINDOWS_DEVICE_PREFIXES.find((device) => realPath.startsWith(device));
    return prefix ? `it is in the device namespace ${prefix}` : null;
  }
  const tree = POSIX_SYSTEM_TREES.find((system) => isWithin(realPath, system, platform));
  return tree ? `it is under the system directory ${tree}` : null;
}

/** Why a real path cannot be a session's project (beyond locationRefusal); null when it can. */
export function projectLocationRefusal(realPath: string, policy: PathPolicy): string | null {
  const refused = locationRefusal(realPath, policy);
  if (refused) return refused;
  const paths = flavour(policy.platform);
  if (policy.homeDirectory !== null && paths.relative(policy.homeDirectory, realPath) === '') return 'it is the home directory itself';
  if (policy.platform === 'win32') return paths.parse(realPath).root === realPath ? 'it is the root of a drive' : null;
  return POSIX_ACCOUNT_ROOTS.includes(realPath) ? `it is ${realPath} itself, not a project in it` : null;
}
