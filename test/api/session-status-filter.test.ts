import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server';

/*
 * GET /sessions?status= (beyond contract §5.3, for the web app's status filter): one status, in
 * any spelling a write accepts, combined with the other filters by AND, following every change.
 */
describe('API: the status filter of GET /sessions (beyond the contract)', () => {
  let server: TestServer;
  const titles = async (query: string) => ((await server.api('GET', `/sessions?${query}`)).body.data as Array<{ title: string }>).map((session) => session.title).sort();

  before(async () => {
    server = await startTestServer();
    for (const [title, status, tags] of [
      ['Drum Loop', 'in-progress', ['drums']],
      ['Vocal Take', 'in-progress', []],
      ['Final Mix', 'final', ['drums']],
      ['Sketch', 'draft', []],
    ] as const) {
      assert.equal((await server.api('POST', '/sessions', { json: { title, status, tags } })).status, 201);
    }
  });
  after(() => server.dispose());

  it('keeps only the sessions with that status, in any spelling a write accepts', async () => {
    assert.deepEqual(await titles('status=in-progress'), ['Drum Loop', 'Vocal Take']);
    assert.deepEqual(await titles('status=In%20Progress'), ['Drum Loop', 'Vocal Take']);
    assert.deepEqual(await titles('status=IN_PROGRESS'), ['Drum Loop', 'Vocal Take']);
    const answer = await server.api('GET', '/sessions?status=final');
    assert.equal(answer.body.meta.total, 1);
  });

  it('combines with q and tags by AND; an empty value is no filter; a status nobody has matches nothing', async () => {
    assert.deepEqual(await titles('status=in-progress&tags=drums'), ['Drum Loop']);
    assert.deepEqual(await titles('status=in-progress&q=vocal'), ['Vocal Take']);
    assert.equal((await titles('status=')).length, 4);
    assert.deepEqual(await titles('status=mastered'), []);
  });

  it('follows a change of status', async () => {
    const sketch = (await server.api('GET', '/sessions?q=sketch')).body.data[0];
    assert.equal((await server.api('PATCH', `/sessions/${sketch.id}`, { json: { status: 'final' } })).status, 200);
    assert.deepEqual(await titles('status=final'), ['Final Mix', 'Sketch']);
    assert.deepEqual(await titles('status=draft'), []);
  });

  it('is given once: twice is 400 invalid_query', async () => {
    const answer = await server.api('GET', '/sessions?status=final&status=draft');
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'invalid_query');
  });
});
