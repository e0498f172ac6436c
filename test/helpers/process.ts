import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(__dirname, '..', '..', '..', 'bin', 'sessiondock.js');

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  baseUrl: string;
  origin: string;
  stdout: () => string;
  stderr: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `sessiondock <args>` to completion, with `input` on its standard input (closed at once if none). */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 15_000,
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // The child may stop reading early (a restore that meets a bad line): a broken pipe is expected.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sessiondock ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `sessiondock serve <args>` as a real process and waits for the line that gives its URL. */
export function startServerProcess(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 15_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { env: { ...cleanEnv(), ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    const onData = () => {
      const match = /listening on (http:\/\/\S+\/api\/v1)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({
        child,
        baseUrl: match[1],
        origin: match[1].replace(/\/api\/v1$/, ''),
        stdout: () => stdout,
        stderr: () => stderr,
        stop(signal = 'SIGTERM') {
          child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it listened: ${stdout}${stderr}`));
    });
  });
}

/** The test's environment without any SESSIONDOCK_* setting that could leak into the child. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SESSIONDOCK_')));
}
