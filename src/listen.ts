import { createServer, type RequestListener, type Server } from 'node:http';
import { isIP } from 'node:net';
import { ConfigError } from './config';

export interface Listening {
  servers: Server[];
  port: number;
  /** The origin clients are told to use. */
  origin: string;
  hosts: string[];
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/** `localhost` means both loopback addresses; any other host is listened on alone. */
export function hostsFor(host: string, dangerouslyListenOnNetwork: boolean): string[] {
  if (!isLoopback(host) && !dangerouslyListenOnNetwork) {
    throw new ConfigError(
      `invalid configuration: host ${host} is not a loopback address; pass --dangerously-listen-on-network to expose the catalog to the network`,
    );
  }
  return host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
}

const SERVER_OPTIONS = {
  // A request without Host reaches the Host guard, which answers with the envelope (403), not Node's bare 400.
  requireHostHeader: false,
  // headersTimeout and requestTimeout are enforced when Node checks connections: every second, not every 30.
  connectionsCheckingInterval: 1000,
};

/**
 * Listens on every host on one port. With port 0 the first host picks a free port and the others
 * follow it; if another process holds that port on a later host, the whole attempt starts again.
 */
export async function listenAll(hosts: string[], port: number, handler: RequestListener, configure: (server: Server) => void): Promise<Listening> {
  for (let attempt = 1; ; attempt += 1) {
    const servers: Server[] = [];
    let chosen = port;
    try {
      for (const [index, host] of hosts.entries()) {
        const server = createServer(SERVER_OPTIONS, handler);
        // An Expect other than 100-continue is answered by the API like any request, not by Node's bare 417.
        server.on('checkExpectation', handler);
        configure(server);
        try {
          await listen(server, chosen, host);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          // ::1 is optional when the machine has no IPv6.
          if (index > 0 && host === '::1' && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT')) continue;
          throw error;
        }
        chosen = (server.address() as { port: number }).port;
        servers.push(server);
      }
      const listened = servers.map((server) => (server.address() as { address: string }).address);
      const first = hosts[0] === 'localhost' ? '127.0.0.1' : listened[0];
      const origin = `http://${isIP(first) === 6 ? `[${first}]` : first}:${chosen}`;
      return { servers, port: chosen, origin, hosts: listened };
    } catch (error) {
      await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
      if (port !== 0 || attempt >= 5 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || servers.length === 0) throw error;
    }
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, lets requests in flight finish (up to `graceMs`), then closes what is left. */
export async function closeAll(servers: Server[], graceMs: number): Promise<void> {
  const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
  const sweep = setInterval(() => servers.forEach((server) => server.closeIdleConnections()), 25);
  const deadline = setTimeout(() => servers.forEach((server) => server.closeAllConnections()), graceMs);
  servers.forEach((server) => server.closeIdleConnections());
  await Promise.all(closed);
  clearInterval(sweep);
  clearTimeout(deadline);
}
