import { connect, type Socket } from 'node:net';
import { jsonOf } from './http';

/*
 * HTTP/1.1 over a bare socket, for requests no HTTP client would send (any method, any bytes in
 * the request target and headers, bodies that contradict their headers), with a parser for the
 * answer that tolerates whatever comes back: a body that is not JSON, chunked encoding, a
 * connection closed without a response, an event stream that never ends.
 */

export interface RawHttpResponse {
  status: number;
  statusLine: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body, de-chunked when the response was chunked. */
  bytes: Buffer;
  text: string;
  /** The parsed JSON body, undefined when it is empty or not JSON. */
  body: any;
  /** The response was an event stream (or another endless body) that the client cut off after its head. */
  cutOff: boolean;
}

export interface RawOutcome {
  /** The final (non-1xx) response, null when the connection closed before one arrived. */
  response: RawHttpResponse | null;
  /** A socket error seen on the way (ECONNRESET after an early answer is normal). */
  error?: string;
  /** The client gave up after `timeoutMs` without the connection closing. */
  timedOut: boolean;
}

export interface RawOptions {
  timeoutMs?: number;
  /** Give up on a response whose head says text/event-stream as soon as the head arrives. */
  cutOffStreams?: boolean;
}

const HEAD_END = Buffer.from('\r\n\r\n');

function parseHead(head: string): { status: number; statusLine: string; headers: Record<string, string> } {
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return { status, statusLine, headers };
}

/** Decodes a chunked body; what is left of a truncated one is kept as it is. */
function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < raw.length) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(offset, lineEnd).toString('latin1').split(';')[0], 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Splits what the server sent into its final response (interim 1xx responses skipped). */
export function parseRawResponse(received: Buffer, cutOff = false): RawHttpResponse | null {
  let rest = received;
  for (;;) {
    const end = rest.indexOf(HEAD_END);
    if (end < 0) return null;
    const head = parseHead(rest.subarray(0, end).toString('latin1'));
    const after = rest.subarray(end + 4);
    if (head.status >= 100 && head.status < 200) {
      rest = after;
      continue;
    }
    let bytes: Buffer;
    if (/\bchunked\b/i.test(head.headers['transfer-encoding'] ?? '')) bytes = dechunk(after);
    else if (head.headers['content-length'] !== undefined) bytes = after.subarray(0, Number(head.headers['content-length']));
    else bytes = after;
    const text = bytes.toString('utf8');
    return { ...head, bytes, text, body: jsonOf(text), cutOff };
  }
}

/**
 * Writes `request` (the whole request, as bytes) and reads until the server closes the connection
 * (send `Connection: close`), or until `timeoutMs`.
 */
export function rawHttp(port: number, request: Buffer | string, options: RawOptions = {}): Promise<RawOutcome> {
  const { timeoutMs = 10_000, cutOffStreams = true } = options;
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let settled = false;
    const finish = (timedOut: boolean, cutOff = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ response: parseRawResponse(Buffer.concat(chunks), cutOff), error, timedOut });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!cutOffStreams) return;
      const received = Buffer.concat(chunks);
      const response = parseRawResponse(received);
      if (response && response.status === 200 && /^text\/event-stream/i.test(response.headers['content-type'] ?? '')) finish(false, true);
    });
    socket.on('error', (problem: NodeJS.ErrnoException) => {
      error = problem.code ?? problem.message;
      finish(false);
    });
    socket.on('close', () => finish(false));
    socket.write(request);
  });
}

export interface RequestParts {
  method: string;
  /** The request target exactly as it goes on the wire. */
  target: string;
  /** In order; a name may repeat. Host is not added unless given here. */
  headers: Array<[string, string | Buffer]>;
  body?: Buffer;
  /** Send the body chunked instead of with a Content-Length. */
  chunked?: boolean;
  /** Leave out the Content-Length a body would get (with `chunked` false: a body the server never reads). */
  noLength?: boolean;
}

/** The bytes of a request: header values may hold any byte (latin1 for strings). Always ends with `Connection: close`. */
export function requestBytes({ method, target, headers, body, chunked = false, noLength = false }: RequestParts): Buffer {
  const lines: Buffer[] = [Buffer.from(`${method} ${target} HTTP/1.1\r\n`, 'latin1')];
  for (const [name, value] of headers) {
    lines.push(Buffer.concat([Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'latin1') : value, Buffer.from('\r\n')]));
  }
  if (body !== undefined && !noLength) {
    lines.push(Buffer.from(chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${body.length}\r\n`));
  }
  lines.push(Buffer.from('Connection: close\r\n\r\n'));
  if (body !== undefined) {
    if (!chunked) lines.push(body);
    else {
      const size = Math.max(1, Math.ceil(body.length / 3));
      for (let offset = 0; offset < body.length; offset += size) {
        const piece = body.subarray(offset, offset + size);
        lines.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
      }
      lines.push(Buffer.from('0\r\n\r\n'));
    }
  }
  return Buffer.concat(lines);
}
