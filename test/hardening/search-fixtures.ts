import assert from 'node:assert/strict';
import { SessionCreated, type SessionCreatedData } from '../../events/sessions';
import { seededRandom } from '../../bench/catalogue';
import { newSessionData, type CreateSessionBody } from '../../src/commands/create-session';
import { newSessionId } from '../../src/ids';
import { eventually } from '../helpers/eventually';
import type { TestServer } from '../helpers/server';

/** Made-up words of 5-10 lower-case letters: at these lengths nearly every one is distinct. */
export function wordMaker(seed: number): () => string {
  const random = seededRandom(seed);
  return () => {
    let word = '';
    const length = 5 + Math.floor(random() * 6);
    for (let index = 0; index < length; index += 1) word += String.fromCharCode(97 + Math.floor(random() * 26));
    return word;
  };
}

/** Notes of `chars` characters or a little under, of words from `word`. */
export function notesOf(word: () => string, chars: number): string {
  const words: string[] = [];
  let length = 0;
  for (;;) {
    const next = word();
    if (length + next.length + 1 > chars) return words.join(' ');
    words.push(next);
    length += next.length + 1;
  }
}

/**
 * Appends sessions through the server's own log (the write path every command ends in), a chunk at
 * a time so group commit batches them, and waits until the read models hold them: the acknowledged ids.
 */
export async function seedSessions(server: TestServer, bodies: readonly CreateSessionBody[]): Promise<string[]> {
  const ids: string[] = [];
  const before = (await server.api('GET', '/health')).body.data.log.sessions as number;
  for (let start = 0; start < bodies.length; start += 100) {
    await Promise.all(
      bodies.slice(start, start + 100).map(async (body) => {
        const id = newSessionId();
        const data: SessionCreatedData = newSessionData(body);
        await server.server.store.append(id, 0, [{ type: SessionCreated.type, data }], { at: new Date().toISOString(), requestId: 'seed', actor: 'test' });
        ids.push(id);
      }),
    );
  }
  await eventually(
    async () => (await server.api('GET', '/health')).body.data.log.sessions as number,
    (sessions) => sessions === before + bodies.length,
    `the read model holding ${bodies.length} seeded sessions`,
    60_000,
  );
  return ids;
}

/** A request's status, asserted, with the body. */
export async function ok(response: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<any> {
  const answer = await response;
  assert.equal(answer.status, status, answer.text.slice(0, 300));
  return answer.body;
}
