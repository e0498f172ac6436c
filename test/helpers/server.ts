import type { StoredEvent } from '../../events/envelope';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import type { Logger } from '../../src/log';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server';
import { readTokenFile } from '../../src/token';
import { conformance } from './conformance';
import { httpCall, type HttpOptions, type HttpResponse } from './http';

export interface TestServer {
  server: RunningServer;
  config: Config;
  dataDir: string;
  baseUrl: string;
  origin: string;
  token: string;
  /** Every line the server logged. */
  logs: string[];
  /** A request to `path` under /api/v1, with the token unless `token` says otherwise (null: none). */
  api(method: string, path: string, options?: HttpOptions & { token?: string | null }): Promise<HttpResponse>;
  /**
   * A request to a path from the server's root. Every response that `api` and `call` receive is
   * checked against the OpenAPI document (test/helpers/conformance.ts): a status the document does
   * not give that operation, or a body that does not match its schema, fails the test.
   */
  call(method: string, path: string, options?: HttpOptions): Promise<HttpResponse>;
  stop(): Promise<void>;
  /** Stops the server and removes its data directory. */
  dispose(): Promise<void>;
}

export const newDataDir = () => mkdtempSync(join(tmpdir(), 'sessiondock-test-'));

/** A real server on an ephemeral loopback port with its own data directory. */
export async function startTestServer(
  settings: Partial<Config> = {},
  options: ServerOptions & { dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? newDataDir();
  const config = { ...loadConfig({ flags: { dataDir, port: 0, host: '127.0.0.1' }, env: {} }), ...settings };
  const logs: string[] = [];
  const logger: Logger = { log: (level, message, fields) => logs.push(JSON.stringify({ level, message, ...fields })) };
  const server = await startServer(config, { logger, ...options });
  const token = config.token ?? readTokenFile(config.tokenFile);
  const documented = conformance();
  const call = async (method: string, path: string, callOptions: HttpOptions = {}) => {
    const response = await httpCall(`${server.origin}${path}`, method, callOptions);
    documented.check(method, path, response);
    return response;
  };
  return {
    server,
    config,
    dataDir,
    baseUrl: server.baseUrl,
    origin: server.origin,
    token,
    logs,
    call,
    api(method, path, { token: presented = token, ...rest } = {}) {
      const headers = { ...(presented === null ? {} : { Authorization: `Bearer ${presented}` }), ...rest.headers };
      return call(method, `/api/v1${path}`, { ...rest, headers });
    },
    stop: () => server.close(),
    async dispose() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every event of the server's log, in order. */
export async function readAllEvents(server: TestServer): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of server.server.store.readAll()) events.push(event);
  return events;
}
