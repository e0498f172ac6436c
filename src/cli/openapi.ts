import { version } from '../../package.json';
import type { Config } from '../config';
import { routeTable } from '../http/app';
import { openApiDocument } from '../http/openapi';
import type { Services } from '../http/services';

/** Describing the routes reads nothing of a running server: any use of its services is a mistake. */
const noServices = new Proxy({} as Services, {
  get(_, name) {
    throw new Error(`a route read services.${String(name)} while only being described`);
  },
});

/**
 * `sessiondock openapi > openapi.json`: the OpenAPI document a server on this configuration's port
 * would serve at /openapi.json, without starting one (for client generators).
 */
export function openapiCommand(config: Config): number {
  const routes = routeTable(noServices, { heartbeatMs: 0, maxBufferedBytes: 0 });
  const document = openApiDocument(routes, { version, serverUrl: `http://127.0.0.1:${config.port}` });
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  return 0;
}
