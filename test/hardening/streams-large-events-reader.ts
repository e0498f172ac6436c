import { request } from 'node:http';
import { idsArrived } from '../helpers/stream-readers';

/** A live-stream client that only counts ids, cheaply whatever the size of the frames: see openIdCounter. */
export interface IdCounter {
  ids: number[];
  errorEvents: number;
  /** Resolves once `count` ids have arrived; rejects after the deadline or when the stream ends first. */
  waitForIds(count: number, deadlineMs: number): Promise<void>;
  close(): void;
}

/** What is kept of a chunk's end: enough for an `id:` line or `event: error` cut between chunks. */
const CARRY = 64;

/**
 * Opens `/events/stream` and records the ids, scanning each chunk once. A frame's data is one JSON
 * line, so a newline inside it is escaped: every raw `\nid: N\n` is a frame's id line. (The shared
 * reader keeps the unfinished frame as a string and searches all of it per chunk, which takes
 * seconds of the test's own event loop once frames are megabytes.)
 */
export function openIdCounter(url: string, token: string): Promise<IdCounter> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` }, agent: false }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`the stream answered ${response.statusCode}`));
      const ids: number[] = [];
      let carry = '\n';
      let ended = false;
      const waiters: Array<() => void> = [];
      const wake = () => waiters.splice(0).forEach((waiter) => waiter());
      const counter: IdCounter = {
        ids,
        errorEvents: 0,
        waitForIds(count, deadlineMs) {
          return idsArrived(ids, () => ended, waiters, count, deadlineMs);
        },
        close: () => req.destroy(),
      };
      response.on('data', (chunk: Buffer) => {
        const text = carry + chunk.toString('latin1');
        let scanned = 0;
        for (const match of text.matchAll(/\nid: (\d+)\n/g)) {
          ids.push(Number(match[1]));
          scanned = match.index! + match[0].length - 1;
        }
        for (const match of text.matchAll(/\nevent: error\n/g)) if (match.index! >= scanned) counter.errorEvents += 1;
        carry = text.slice(Math.max(scanned, text.length - CARRY));
        wake();
      });
      const finish = () => {
        ended = true;
        wake();
      };
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', finish);
      resolve(counter);
    });
    req.on('error', reject);
    req.end();
  });
}
