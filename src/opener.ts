import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join } from 'node:path';

// `start` (the contract's Windows opener) is a cmd.exe builtin: only a shell could run it.
const PLATFORM_OPENERS: Partial<Record<NodeJS.Platform, string>> = { darwin: 'open', linux: 'xdg-open', win32: 'explorer.exe' };

/**
 * The executable that opens a project: the configured one (else the platform's), as an absolute
 * path or a bare name found on PATH. null when there is none; anything else (a relative path,
 * arguments) is never guessed at.
 */
export function resolveOpener(configured: string | null, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | null {
  const name = configured ?? PLATFORM_OPENERS[platform];
  if (name === undefined) return null;
  if (isAbsolute(name)) return isExecutableFile(name) ? name : null;
  return basename(name) === name ? which(name, env.PATH ?? '') : null;
}

/** The first directory of PATH holding an executable regular file of this name. */
function which(name: string, path: string): string | null {
  for (const directory of path.split(delimiter)) {
    // An empty entry means the working directory, which must not decide what runs.
    if (directory === '' || !isAbsolute(directory)) continue;
    const candidate = join(directory, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The environment a launched program gets: the server's without any SESSIONDOCK_* setting (the
 * token above all). Names are compared in upper case: Windows' environment ignores case.
 */
export function launchEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.toUpperCase().startsWith('SESSIONDOCK_')));
}

/**
 * Starts the opener on the path, detached and without a shell, so the path is one argument
 * whatever it holds, and without the server's own settings in its environment. Resolves once
 * the process exists; rejects when it could not be started.
 */
export function launch(opener: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(opener, [path], { detached: true, stdio: 'ignore', shell: false, env: launchEnvironment(process.env) });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/**
 * Starts the opener like `launch`, then watches it for `settleMs`: one that exits with a failure
 * in that time (xdg-open finding no browser, say) rejects; one that exits cleanly, or is still
 * running when the time is up (a browser it started in the foreground), resolves.
 */
export function launchAndWatch(opener: string, argument: string, settleMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(opener, [argument], { detached: true, stdio: 'ignore', shell: false, env: launchEnvironment(process.env) });
    let timer: NodeJS.Timeout | undefined;
    const settle = (error?: Error) => {
      clearTimeout(timer);
      child.removeAllListeners();
      if (error) reject(error);
      else resolve();
    };
    child.once('error', settle);
    child.once('spawn', () => {
      child.unref();
      timer = setTimeout(settle, settleMs);
    });
    child.once('exit', (code, signal) => settle(code === 0 ? undefined : new Error(`the opener exited with ${code ?? signal}`)));
  });
}
