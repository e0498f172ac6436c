import { connect } from 'node:net';

export interface RawResponse {
  /** The status line. */
  head: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: any;
}

/** Writes bytes that need not be HTTP straight onto a socket and reads the answer until it closes. */
export function sendRawBytes(port: number, bytes: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = received.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      let body: unknown;
      try {
        body = JSON.parse(rest.join('\r\n\r\n'));
      } catch {
        body = undefined;
      }
      resolve({ head: statusLine, headers, body });
    });
    socket.end(bytes);
  });
}
