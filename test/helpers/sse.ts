import { request, type ClientRequest, type IncomingMessage } from 'node:http';

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

export interface SseClient {
  response: IncomingMessage;
  messages: SseMessage[];
  /** Comment lines received (heartbeats). */
  comments: string[];
  /** The `retry:` values received, in ms: a field of the stream, not a message. */
  retries: number[];
  /** Resolves once `count` messages have arrived (rejects after the deadline). */
  waitForMessages(count: number, deadlineMs?: number): Promise<SseMessage[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** A Server-Sent Events client over a raw request, parsing the stream as it arrives. */
export function openStream(url: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(url, { headers: { Accept: 'text/event-stream', ...headers }, agent: false }, (response) => {
      const messages: SseMessage[] = [];
      const comments: string[] = [];
      const retries: number[] = [];
      const waiters: Array<() => void> = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = { data: '' };
          let isMessage = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon);
              const value = line.slice(colon + 1).replace(/^ /, '');
              if (field === 'retry') {
                retries.push(Number(value));
                continue;
              }
              if (field === 'id') message.id = value;
              else if (field === 'event') message.event = value;
              else if (field === 'data') message.data += value;
              isMessage = true;
            }
          }
          if (isMessage) messages.push(message);
          waiters.splice(0).forEach((wake) => wake());
        }
      });
      const ended = new Promise<void>((done) => {
        response.on('end', done);
        response.on('close', done);
      });
      resolve({
        response,
        messages,
        comments,
        retries,
        ended,
        waitForMessages(count, deadlineMs = 10_000) {
          return new Promise((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`only ${messages.length} of ${count} messages within ${deadlineMs} ms`)), deadlineMs);
            const check = () => {
              if (messages.length >= count) {
                clearTimeout(timer);
                done(messages.slice(0, count));
              } else waiters.push(check);
            };
            check();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}
