import assert from 'node:assert/strict';
import type { TestServer } from './server';

export const DAY_MS = 86_400_000;

/** A seeded time as the API shows it: RFC 3339 in whole seconds, the fraction dropped (issue 18). */
export const shownInWholeSeconds = (iso: string | null) => (iso === null ? null : `${new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString().slice(0, 19)}Z`);

/** One session to seed: what POST /sessions gets, plus when it was opened and a later retag. */
export interface SessionSeed {
  title: string;
  kind?: string;
  status?: string;
  client?: string | null;
  notes?: string;
  tags?: string[];
  /** lastOpened to give it (ISO), via a SessionOpened event appended straight to the log; null: never opened. */
  openedAt?: string | null;
  /** Fields to PATCH after creating and opening: moves updatedAt and the indexes of what changed. */
  patch?: { title?: string; kind?: string; status?: string; client?: string | null; notes?: string };
  /** Tags to put (PUT /tags) after that: moves updatedAt and the tag and text indexes. */
  retag?: string[];
  /** Deleted last: it leaves the catalogue (and the returned list). */
  deleted?: boolean;
}

/** The fields of a session (§5.1) the listing rules of §5.3 look at, as the API returned them. */
export interface SeededSession {
  id: string;
  title: string;
  kind: string;
  status: string;
  client: string | null;
  notes: string;
  tags: string[];
  lastOpened: string | null;
  createdAt: string;
  updatedAt: string;
}

async function create(server: TestServer, seed: SessionSeed): Promise<string> {
  const { openedAt: _openedAt, patch: _patch, retag: _retag, deleted: _deleted, ...body } = seed;
  const response = await server.api('POST', '/sessions', { json: body });
  assert.equal(response.status, 201, `seeding ${JSON.stringify(body)}: ${response.text}`);
  return response.body.data.id;
}

/**
 * Creates the sessions over HTTP (one after the other, so ids ascend in seed order, unless
 * `parallel`), opens those with an `openedAt`, then patches, retags and deletes as the seeds say,
 * and returns every live session as GET /sessions/{id} then shows it, in seed order.
 */
export async function seedCatalogue(server: TestServer, seeds: readonly SessionSeed[], { parallel = false } = {}): Promise<SeededSession[]> {
  const ids: string[] = [];
  if (parallel) ids.push(...(await Promise.all(seeds.map((seed) => create(server, seed)))));
  else for (const seed of seeds) ids.push(await create(server, seed));

  await Promise.all(
    seeds.map(async (seed, index) => {
      if (seed.openedAt == null) return;
      await server.server.store.append(ids[index], 'any', [{ type: 'SessionOpened', data: {} }], { at: seed.openedAt, requestId: 'seed', actor: 'test' });
    }),
  );
  await Promise.all(
    seeds.map(async (seed, index) => {
      const path = `/sessions/${ids[index]}`;
      if (seed.patch !== undefined) {
        const response = await server.api('PATCH', path, { json: seed.patch });
        assert.equal(response.status, 200, `patching ${ids[index]}: ${response.text}`);
      }
      if (seed.retag !== undefined) {
        const response = await server.api('PUT', `${path}/tags`, { json: { tags: seed.retag } });
        assert.equal(response.status, 200, `retagging ${ids[index]}: ${response.text}`);
      }
      if (seed.deleted) {
        const response = await server.api('DELETE', path);
        assert.equal(response.status, 200, `deleting ${ids[index]}: ${response.text}`);
      }
    }),
  );

  const sessions = await Promise.all(
    ids.map(async (id, index) => {
      const response = await server.api('GET', `/sessions/${id}`);
      if (seeds[index].deleted) {
        assert.equal(response.status, 404, response.text);
        return null;
      }
      assert.equal(response.status, 200, response.text);
      const session = response.body.data as SeededSession;
      assert.equal(session.lastOpened, shownInWholeSeconds(seeds[index].openedAt ?? null), `lastOpened of ${id} as seeded`);
      return session;
    }),
  );
  return sessions.filter((session): session is SeededSession => session !== null);
}
