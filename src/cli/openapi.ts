import { version } from '../../package.json';
import type { Config } from '../config';
import { routeTable } from '../http/app';
import { openApiDocument } from '../http/openapi';
import type { Services } from '../http/services';
import { Output } from './output';

/** Describing the routes reads nothing of a running server: any use of its services is a mistake. */
const noServices = new Proxy({} as Services, {
  get(_, name) {
    throw new Error(`a route read services.${String(name)} while only being described`);
  },
});

/** Every route, to be described (or have its schemas compiled) rather than served. */
export const describedRoutes = () => routeTable(noServices, { heartbeatMs: 0, maxBufferedBytes: 0 });

/**
 * `sessiondock openapi > openapi.json`: the OpenAPI document a server on this configuration's port
 * would serve at /openapi.json, without starting one (for client generators).
 */
export async function openapiCommand(config: Config): Promise<number> {
  const document = openApiDocument(describedRoutes(), { version, serverUrl: `http://127.0.0.1:${config.port}` });
  // Through Output, which waits until stdout has taken it all: the process exits right after, and a
  // write to a pipe or socket that is still queued then would be cut short (~200 KB of ~400 KB).
  const output = new Output(process.stdout);
  await output.write(`${JSON.stringify(document, null, 2)}\n`);
  await output.end();
  return 0;
}
