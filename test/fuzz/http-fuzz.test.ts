import assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { conformance, describedDocument } from '../helpers/conformance';
import type { HttpResponse } from '../helpers/http';
import { runCli } from '../helpers/process';
import { tempProjects, type ProjectTree } from '../helpers/projects';
import { rawHttp, requestBytes, type RawHttpResponse } from '../helpers/raw-http';
import { startTestServer, type TestServer } from '../helpers/server';
import { fuzzRuns, fuzzSeed } from './settings';

/*
 * Issue 8, item 3: random requests against a live server (contract §1-§4). Every request goes over
 * a bare socket, so that anything can be sent: any method, any bytes in the target and the
 * headers, bodies that are not what their Content-Type says. The properties:
 *   - never a 5xx, except 501 on the two desktop actions and 503 `overloaded` (with Retry-After)
 *     on a route that writes (full-automation), where the contract foresees them;
 *   - every error is the JSON envelope with a contract code whose status is the HTTP status, every
 *     JSON success is `{data}` (and `meta` on lists), and every other body is one of the kinds
 *     the contract names (audio, the event stream, the docs page and its assets, the document);
 *   - every response to a well-formed request to a documented path matches the OpenAPI document;
 *   - the server keeps answering (/health after every batch);
 *   - no prototype of this process was polluted (the server runs in it);
 *   - afterwards `sessiondock verify` passes on the log it wrote.
 * Bounded in the test command; `FUZZ_RUNS=5000 npm test` or `npm run test:fuzz -- --runs 5000`
 * for a long run, `FUZZ_SEED=<n>` to replay one.
 */

/** Contract §4: every code and its status. */
const CONTRACT_CODES: Readonly<Record<string, number>> = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_query: 400,
  open_failed: 400,
  focus_failed: 400,
  unauthorized: 401,
  read_only: 403,
  disabled: 403,
  forbidden_host: 403,
  forbidden_origin: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  version_conflict: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  unsupported_audio: 422,
  idempotency_key_reused: 422,
  internal_error: 500,
  open_unavailable: 501,
  focus_unavailable: 501,
  overloaded: 503,
};

/** Messages the contract gives word for word. */
const EXACT_MESSAGES: Readonly<Record<string, string>> = {
  unauthorized: 'Provide Authorization: Bearer <token>.',
  read_only: 'Enable Full Automation to perform this action.',
  disabled: 'The Local API is disabled.',
  open_failed: 'Session project path is unavailable.',
};

/** The web app's paths (§11): served outside the API and its document. */
const isWebApp = (pathname: string) => pathname === '/' || pathname === '/app' || pathname.startsWith('/app/');

/** What the server answers itself for bytes Node's parser refuses (src/server.ts configureServer). */
const NOT_HTTP = 'The request is not valid HTTP.';

const BATCH = 25;
/** Marks where a live session id goes in a generated target (resolved when the request is sent). */
const LIVE = '~live~';
const CASE_TIMEOUT_MS = 10_000;

type Tree = { raw: string } | { obj: Array<[string, Tree]> } | { arr: Tree[] };

const serialise = (tree: Tree): string =>
  'raw' in tree
    ? tree.raw
    : 'arr' in tree
      ? `[${tree.arr.map(serialise).join(',')}]`
      : `{${tree.obj.map(([key, value]) => `${JSON.stringify(key)}:${serialise(value)}`).join(',')}}`;

const rawOf = (value: unknown): Tree => ({ raw: JSON.stringify(value) });
const objOf = (entries: Array<[string, Tree | undefined]>): Tree => ({ obj: entries.filter((entry): entry is [string, Tree] => entry[1] !== undefined) });

/** A request as the fuzzer builds it, with the facts the checks need. */
interface FuzzCase {
  method: string;
  target: string;
  headers: Array<[string, string | Buffer]>;
  body?: Buffer;
  chunked: boolean;
  /** What the body is meant to be, for the report. */
  bodyKind: string;
}

const describeCase = (c: FuzzCase) => {
  const head = requestBytes({ ...c, body: undefined }).toString('latin1');
  const body = c.body === undefined ? '' : `\n  body (${c.bodyKind}, ${c.body.length} bytes${c.chunked ? ', chunked' : ''}): ${JSON.stringify(c.body.subarray(0, 300).toString('latin1'))}`;
  return `${JSON.stringify(head.length > 1500 ? `${head.slice(0, 1500)}…` : head)}${body}`;
};

/** Percent-encodes any string, lone surrogates included (encodeURIComponent refuses those). */
const encodeAny = (text: string) => [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

describe('fuzz: random HTTP requests against a live server (issue 8 item 3, contract §1-§4)', function () {
  // A long run (FUZZ_RUNS) takes as long as it takes.
  this.timeout(0);

  let server: TestServer;
  let projects: ProjectTree;
  const sessionIds: string[] = [];
  let deletedId = '';
  let importId = '';
  const variantIds = ['preview_main', 'preview_alt', 'main'];
  let prototypesBefore: Record<string, string[]> = {};
  const debugLines: string[] = [];
  const stats = { cases: 0, statuses: new Map<number, number>(), codes: new Map<string, number>(), healthChecks: 0, noResponse: 0, streams: 0, writesAccepted: 0 };

  before(async () => {
    prototypesBefore = snapshotPrototypes();
    projects = tempProjects('sessiondock-fuzz-');
    projects.file('Song A/Song A.als', 'not really ableton');
    projects.wav('Song A/Bounces/mix.wav');
    projects.wav('Song A/Bounces/alt.wav');
    projects.file('Song B/song.logicx', '');
    projects.wav('Song B/Exports/final.wav');
    projects.folder('Empty');
    // The opener is a program that does nothing: the fuzzer may well open a session.
    server = await startTestServer({ opener: '/bin/true' });
    for (const body of [
      { title: 'Fuzz target A', projectPath: projects.path('Song A'), tags: ['mix'] },
      { title: 'Fuzz target B', projectPath: projects.path('Song B') },
      { title: 'Fuzz target C' },
      ...['D', 'E', 'F', 'G', 'H'].map((name) => ({ title: `Fuzz target ${name}`, tags: ['spare'] })),
    ]) {
      const created = await server.api('POST', '/sessions', { json: body });
      assert.equal(created.status, 201, created.text);
      sessionIds.push(created.body.data.id);
    }
    const attached = await server.api('POST', `/sessions/${sessionIds[0]}/previews`, { json: { path: projects.path('Song A/Bounces/mix.wav'), id: 'preview_main' } });
    assert.equal(attached.status, 201, attached.text);
    const alt = await server.api('POST', `/sessions/${sessionIds[0]}/previews`, { json: { path: projects.path('Song A/Bounces/alt.wav'), id: 'preview_alt' } });
    assert.equal(alt.status, 201, alt.text);
    const doomed = await server.api('POST', '/sessions', { json: { title: 'Deleted before the fuzz' } });
    deletedId = doomed.body.data.id;
    assert.equal((await server.api('DELETE', `/sessions/${deletedId}`)).status, 200);
    const imported = await server.api('POST', '/import', { json: { items: [{ projectPath: projects.path('Empty') }] } });
    assert.equal(imported.status, 202, imported.text);
    importId = imported.body.data.importId;
  });

  after(async () => {
    await server?.dispose();
    projects?.cleanup();
    const statuses = [...stats.statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}:${count}`).join(' ');
    const codes = [...stats.codes].sort(([, a], [, b]) => b - a).map(([code, count]) => `${code}:${count}`).join(' ');
    console.log(`      fuzz: ${stats.cases} cases (seed ${fuzzSeed() ?? 'random'}), ${stats.healthChecks} health checks, ${stats.streams} event streams cut off, ${stats.noResponse} closed without answer, ${stats.writesAccepted} writes accepted (2xx)`);
    console.log(`      fuzz statuses: ${statuses}`);
    console.log(`      fuzz error codes: ${codes}`);
    if (process.env.FUZZ_DEBUG) {
      const counts = new Map<string, number>();
      for (const line of debugLines) counts.set(line, (counts.get(line) ?? 0) + 1);
      for (const [line, count] of [...counts].sort(([, a], [, b]) => b - a)) console.log(`${String(count).padStart(5)} ${line}`);
    }
  });

  it(`answers ${fuzzRuns()} random requests without a 5xx, always with the envelope, and stays up`, async () => {
    const port = server.server.port;
    const token = server.token;
    const document = describedDocument();
    const documented = conformance();
    const queryNames = [
      ...new Set(
        Object.values(document.paths).flatMap((operations) =>
          Object.values(operations).flatMap((operation) => ((operation as { parameters?: Array<{ in: string; name: string }> }).parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name)),
        ),
      ),
    ];
    const writeRoutes = new Set<string>();
    for (const [template, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (Object.keys(operation.responses).includes('503')) writeRoutes.add(`${method.toUpperCase()} ${template}`);
      }
    }

    // ---- pieces of a request -------------------------------------------------------------------

    const hostileSegment = fc.constantFrom(
      '..', '.', '%2e%2e', '%2E%2E%2F', '..%2f..%2fetc%2fpasswd', '..%2F..%2F..%2F..%2Fetc%2Fpasswd', '..%5c..%5cwindows', '%00', 'a%00b',
      'session_%00', '%zz', '%', '%E0%A4%A', '%C0%AF', '%ff%fe', '%u002e', '%252e%252e', 'session_..%2F', '~', '*', ';', 'a;b=c', '%20', '+', '%2B',
      'CON', 'nul', '.git', 'etc', 'passwd', '%2Fetc%2Fpasswd', '%7B%7D', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString',
    );
    const knownId = fc.constantFrom(...sessionIds, deletedId, importId, ...variantIds);
    const segment = fc.oneof(
      { weight: 4, arbitrary: hostileSegment },
      { weight: 10, arbitrary: knownId },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }).map(encodeAny) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }).map(encodeAny) },
      { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.~-]{1,30}$/) },
      { weight: 1, arbitrary: fc.constantFrom(...sessionIds).map((id) => id.toLowerCase()) },
      { weight: 1, arbitrary: fc.ulid().map((id) => `session_${id}`) },
      { weight: 1, arbitrary: fc.integer({ min: 200, max: 6000 }).map((n) => 'a'.repeat(n)) },
      // Bytes Node's parser must refuse in a request target.
      { weight: 1, arbitrary: fc.constantFrom('\u00ff\u00fe', 'a b', '\t', '"', '<x>', '{}', '|', '\\', '^', '`') },
    );
    /** A value for a path parameter: mostly one that names something, else anything. */
    const parameter = (name: string) => {
      // A live session, picked when the request is sent (the fuzzer creates and deletes them).
      if (name === 'id') return fc.oneof({ weight: 6, arbitrary: fc.nat(1000).map((n) => `${LIVE}${n}${LIVE}`) }, { weight: 1, arbitrary: fc.constant(deletedId) }, { weight: 1, arbitrary: segment });
      const named: Record<string, string[]> = {
        variantId: [...variantIds, 'preview_nope'],
        importId: [importId],
        name: ['swagger-ui.css', 'swagger-ui-bundle.js'],
      };
      return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...(named[name] ?? ['x'])) }, { weight: 1, arbitrary: segment });
    };
    const fillTemplate = (template: string) => {
      const names = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      return fc.tuple(...names.map(parameter)).map((values) => values.reduce((path, value) => path.replace(/\{[^}]+\}/, value), template));
    };
    const method = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
      { weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'PURGE', 'LINK', 'QUERY', 'SEARCH', 'MKCOL', 'get', 'FOO', 'M-SEARCH', 'POSTX') },
    );
    /** Every documented operation; writes weigh more (they are what reaches the log). */
    const operations = Object.entries(document.paths).flatMap(([template, ops]) => Object.keys(ops).map((name) => ({ template, method: name.toUpperCase() })));
    const deletesSession = (op: { template: string; method: string }) => op.method === 'DELETE' && op.template === '/api/v1/sessions/{id}';
    const operation = fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom(...operations.filter((op) => op.method !== 'GET' && !deletesSession(op))) },
      { weight: 20, arbitrary: fc.constantFrom(...operations.filter((op) => op.method === 'GET')) },
      // Rarer: each one takes a session away from the rest of the run.
      { weight: 1, arbitrary: fc.constantFrom(...operations.filter(deletesSession)) },
    );
    /** A documented path with its parameters filled, and mostly its documented method. */
    const templated = operation.chain(({ template, method: documentedMethod }) =>
      fc
        .tuple(
          fillTemplate(template),
          fc.constantFrom('', '', '', '', '', '', '/', '//'),
          fc.integer({ min: 0, max: 9 }),
          fc.oneof({ weight: 4, arbitrary: fc.constant(documentedMethod) }, { weight: 1, arbitrary: method }),
        )
        .map(([path, suffix, upper, chosen]) => {
          const filled = `${path}${suffix}`;
          // The router matches paths in any case: so must everything in front of it.
          const recased = upper === 0 && filled.length < 300 ? filled.replace(/api\/v1/, 'API/V1') : filled;
          return { method: chosen, template: template as string | undefined, path: recased };
        }),
    );
    const randomApiPath = fc.array(segment, { minLength: 0, maxLength: 6 }).map((segments) => `/api/v1/${segments.join('/')}`);
    const oddTarget = fc.constantFrom(
      '*', '/', '', '//api/v1/health', '/api/v1/../v1/health', '/api/v1/sessions/../../../etc/passwd', '/api/v1/./health', 'api/v1/health',
      `http://127.0.0.1:${port}/api/v1/health`, 'http://evil.com/api/v1/sessions', '/api/v1', '/api/v1/', '/api', '/api/v2/health', '/openapi.json/..',
      '/docs/assets/..%2F..%2Fpackage.json', '/docs/assets/%2e%2e', '/docs/assets/swagger-ui.css', '/docs/../openapi.json', '/%2e%2e/%2e%2e/etc/passwd',
      '/api/v1/health#fragment', '/api/v1/health?', '/api/v1/sessions?limit=1#x', '/api/v1/sessions%3Flimit=1', '/api%2Fv1%2Fhealth',
    );
    const queryKey = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...queryNames) },
      { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', '__proto__[polluted]', 'constructor[prototype][polluted]', 'limit[]', 'a[b]', '') },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }).map(encodeAny) },
    );
    const queryValue = fc.oneof(
      fc.constantFrom('0', '1', '-1', '16', '10000', '10001', '500', '501', '1e400', '99999999999999999999999', '0x10', '1.5', ' 1', 'abc', '', 'true', 'false', 'maybe'),
      fc.constantFrom('asc', 'desc', 'title', 'updatedAt', 'createdAt', 'lastOpened', 'SessionCreated', 'preview_main', 'main', '%zz', '%00', '%', 'a%2Cb', 'polluted'),
      fc.constantFrom(...sessionIds, ...variantIds),
      fc.string({ unit: 'grapheme', maxLength: 30 }).map(encodeAny),
      fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 2000 }) }, { weight: 1, arbitrary: fc.integer({ min: 2000, max: 20_000 }) }).map((n) => 'x'.repeat(n)),
    );
    const query = fc.option(
      fc.array(fc.tuple(queryKey, fc.option(queryValue, { nil: undefined })), { minLength: 1, maxLength: 6 }).map((pairs) => `?${pairs.map(([key, value]) => (value === undefined ? key : `${key}=${value}`)).join('&')}`),
      { nil: '', freq: 2 },
    );
    const untemplated = fc.tuple(method, fc.oneof({ weight: 3, arbitrary: randomApiPath }, { weight: 1, arbitrary: oddTarget })).map(([chosen, path]) => ({ method: chosen, template: undefined as string | undefined, path }));
    const target = fc
      .tuple(fc.oneof({ weight: 8, arbitrary: templated }, { weight: 2, arbitrary: untemplated }), query)
      .map(([{ method: chosen, template, path }, search]) => ({ method: chosen, template, target: `${path}${search}` }));

    // ---- bodies ----------------------------------------------------------------------------------

    const longString = fc.integer({ min: 0, max: 300_000 }).map((n) => 'é'.repeat(n));
    const hostileText = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom('', ' ', '   x   ', 'a\u0000b', '\u0000', '\ud800', 'x\udfffy', '\u202eevil', '👩‍👩‍👧‍👦', '<script>alert(1)</script>', "'; DROP TABLE sessions; --", '${7*7}', '{{7*7}}', '../../etc/passwd', 'polluted'),
      fc.integer({ min: 190, max: 230 }).map((n) => 'x'.repeat(n)),
    );
    /** A leaf as raw JSON text: also what JSON.stringify would never write (huge numbers, -0). */
    const leaf: fc.Arbitrary<Tree> = fc.oneof(
      { weight: 3, arbitrary: hostileText.map(rawOf) },
      { weight: 1, arbitrary: longString.map(rawOf) },
      { weight: 2, arbitrary: fc.constantFrom('0', '-0', '1', '-1', '3.5', '86400', '86400.0001', '1e400', '-1e400', '1e-400', '123456789012345678901234567890', '9007199254740993', '0.1e1', '1E2').map((raw) => ({ raw })) },
      { weight: 1, arbitrary: fc.constantFrom('"12"', '"1e3"', '"NaN"', '"true"', '"null"', '"-0"', '"86400"').map((raw) => ({ raw })) },
      { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null').map((raw) => ({ raw })) },
      { weight: 1, arbitrary: fc.double().map((value) => rawOf(value)) },
    );
    const hostileKey = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__') },
      { weight: 3, arbitrary: fc.constantFrom('title', 'tags', 'notes', 'kind', 'status', 'accent', 'client', 'projectPath', 'preferredPreviewId', 'items', 'path', 'id', 'name', 'timestamp', 'text', 'generatePreviews', 'previewAudioPath', 'projectType', 'version', 'createdAt', 'previews') },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
    );
    const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('tree'), { maxLength: 4 }).map((arr): Tree => ({ arr })),
        fc.array(fc.tuple(hostileKey, tie('tree')), { maxLength: 5 }).map((obj): Tree => ({ obj })),
      ),
    }));
    const pollution = fc.constantFrom<Tree>(
      { obj: [['__proto__', { obj: [['polluted', { raw: '"yes"' }]] }]] },
      { obj: [['constructor', { obj: [['prototype', { obj: [['polluted', { raw: '"yes"' }]] }]] }]] },
      { obj: [['__proto__', { obj: [['title', { raw: '"inherited"' }]] }]] },
      { obj: [['prototype', { obj: [['polluted', { raw: '1' }]] }]] },
    );
    const deepNesting = fc.tuple(fc.integer({ min: 100, max: 200_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]): Tree => ({
      raw: open === '[' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${open.repeat(depth)}1${'}'.repeat(depth)}`,
    }));
    const value = fc.oneof({ weight: 6, arbitrary: tree }, { weight: 1, arbitrary: pollution }, { weight: 1, arbitrary: deepNesting });
    /** Text a schema accepts (1-200 characters with a visible one), of every kind of character: what reaches the log. */
    const plausibleText = fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }) },
      { weight: 1, arbitrary: fc.constantFrom('a\u0000b', '\u0000', '\ud800', 'x\udfffy', '\u202eevil', '👩‍👩‍👧‍👦', '<script>alert(1)</script>', "'; DROP TABLE sessions; --", '${7*7}', '../../etc/passwd', '\u2028\u2029', 'polluted', '__proto__') },
    ).map((text) => (/\S/.test(text) ? text : `${text}x`));

    const knownPath = fc.oneof(
      fc.constantFrom(projects.path('Song A'), projects.path('Song B'), projects.path('Empty'), projects.path('Song A/Bounces/mix.wav'), projects.path('Song B/Exports/final.wav')),
      fc.constantFrom('/etc/passwd', '/tmp/../etc/passwd', '/etc/shadow', '/nonexistent/x', '/dev/null', '/dev/zero', '/proc/self/environ', 'C:\\Windows\\win.ini', '\\\\server\\share\\x', 'relative/path', '..', ''),
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((text) => `/${text}`),
    );
    /** A field: absent half the time; else mostly a value the schema takes, sometimes one it refuses, sometimes anything. */
    const pick = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<unknown>, absent = 2) =>
      fc.option(fc.oneof({ weight: 10, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: invalid }, { weight: 1, arbitrary: value }), { nil: undefined, freq: absent });
    const treeOf = (fields: Record<string, unknown>): Tree =>
      objOf(Object.entries(fields).map(([key, v]): [string, Tree | undefined] => [key, v === undefined ? undefined : isTree(v) ? v : rawOf(v)]));
    const sessionFields = (titleAbsent: number) =>
      fc.record({
        title: pick(plausibleText, hostileText, titleAbsent),
        kind: pick(fc.constantFrom('Ableton', 'logic', ' x ', 'Reaper'), fc.constantFrom('', ' ', 'x'.repeat(65))),
        status: pick(fc.constantFrom('draft', 'mixing', 'final-mix', 'a1'), fc.constantFrom('Done', 'a--b', '-a', '')),
        accent: pick(fc.constantFrom('default', '#ff00aa', 'red', '#A0B1C2'), fc.constantFrom('#FFF', 'Red', '#gggggg')),
        tags: pick(fc.array(plausibleText.map((text) => text.slice(0, 40)), { maxLength: 8 }), fc.array(hostileText, { maxLength: 70 })),
        notes: pick(plausibleText, fc.integer({ min: 20_001, max: 20_010 }).map((n) => 'n'.repeat(n))),
        client: pick(fc.option(plausibleText, { nil: null }), fc.constant('c'.repeat(201))),
        projectPath: pick(fc.option(knownPath, { nil: null }), fc.constantFrom('relative', '')),
      });
    const sessionBody = sessionFields(8).map(treeOf);
    const patchBody = fc
      .tuple(sessionFields(2), fc.option(fc.constantFrom(...variantIds, 'preview_nope', ''), { nil: undefined, freq: 3 }))
      .map(([fields, preferredPreviewId]) => treeOf({ ...fields, preferredPreviewId }));
    const noteBody = fc
      .array(
        fc.record({
          id: pick(fc.constantFrom('note_x', 'note_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'mine'), fc.constantFrom('x'.repeat(65))),
          timestamp: pick(fc.oneof(fc.double({ min: 0, max: 86_400, noNaN: true }), fc.integer({ min: 0, max: 86_400 })), fc.constantFrom(-1, 86_400.5, '12'), 10),
          text: pick(plausibleText, hostileText, 10),
          createdAt: fc.option(value, { nil: undefined, freq: 2 }),
        }),
        { maxLength: 5 },
      )
      .map((notes): Tree => objOf([['notes', { arr: notes.map(treeOf) }]]));
    const previewBody = fc
      .record({ path: pick(knownPath, hostileText, 10), id: pick(fc.constantFrom(...variantIds, 'preview_new', 'x1'), fc.constantFrom('-bad', 'x'.repeat(70))), name: pick(plausibleText, hostileText) })
      .map(treeOf);
    const importBody = fc
      .record({
        items: fc.array(fc.record({ projectPath: pick(knownPath, hostileText, 10), title: pick(plausibleText, hostileText), previewAudioPath: pick(knownPath, hostileText, 3) }), { maxLength: 4 }),
        generatePreviews: pick(fc.boolean(), fc.constantFrom('true', 1)),
        kind: pick(plausibleText, hostileText),
      })
      .map(({ items, ...rest }): Tree =>
        objOf([
          ['items', { arr: items.map(treeOf) }],
          ...('obj' in treeOf(rest) ? (treeOf(rest) as { obj: Array<[string, Tree]> }).obj : []),
        ]),
      );
    const tagsBody = fc.array(fc.oneof({ weight: 6, arbitrary: plausibleText.map((text) => text.slice(0, 40)) }, { weight: 1, arbitrary: hostileText }), { maxLength: 6 }).map((tags): Tree => objOf([['tags', rawOf(tags)]]));
    const notesBody = fc.oneof(plausibleText, plausibleText, hostileText).map((notes): Tree => objOf([['notes', rawOf(notes)]]));
    const partBody = fc.oneof(tagsBody, notesBody);
    const jsonTree = fc.oneof(
      { weight: 3, arbitrary: sessionBody },
      { weight: 1, arbitrary: noteBody },
      { weight: 1, arbitrary: previewBody },
      { weight: 1, arbitrary: importBody },
      { weight: 1, arbitrary: partBody },
      { weight: 2, arbitrary: value },
      { weight: 1, arbitrary: fc.tuple(sessionBody, fc.array(fc.tuple(hostileKey, value), { maxLength: 3 })).map(([body, extra]): Tree => ('obj' in body ? { obj: [...body.obj, ...extra] } : body)) },
    );
    /** The body a route takes (its fields with values of every kind), for the routes that take one. */
    const routeBodies: Record<string, fc.Arbitrary<Tree>> = {
      'POST /api/v1/sessions': sessionBody,
      'PATCH /api/v1/sessions/{id}': patchBody,
      'PUT /api/v1/sessions/{id}/tags': tagsBody,
      'PATCH /api/v1/sessions/{id}/tags': tagsBody,
      'PUT /api/v1/sessions/{id}/notes': notesBody,
      'PATCH /api/v1/sessions/{id}/notes': notesBody,
      'PUT /api/v1/sessions/{id}/waveform-notes': noteBody,
      'PATCH /api/v1/sessions/{id}/waveform-notes': noteBody,
      'POST /api/v1/sessions/{id}/previews': previewBody,
      'POST /api/v1/import': importBody,
    };
    const bodyFor = (method: string, template: string | undefined) => {
      const own = template === undefined ? undefined : routeBodies[`${method} ${template}`];
      if (own === undefined) return body;
      return fc.oneof({ weight: 3, arbitrary: own.map((t) => ({ kind: 'json for the route', bytes: Buffer.from(serialise(t), 'utf8') })) }, { weight: 1, arbitrary: body });
    };
    const body: fc.Arbitrary<{ kind: string; bytes: Buffer }> = fc.oneof(
      { weight: 8, arbitrary: jsonTree.map((t) => ({ kind: 'json', bytes: Buffer.from(serialise(t), 'utf8') })) },
      { weight: 2, arbitrary: fc.tuple(jsonTree, fc.double({ min: 0, max: 1, noNaN: true })).map(([t, cut]) => { const text = serialise(t); return { kind: 'truncated json', bytes: Buffer.from(text.slice(0, Math.floor(text.length * cut)), 'utf8') }; }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom([0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x00], [0xfe, 0xff]).map((bad) => ({
          kind: 'invalid utf-8 in a string',
          bytes: Buffer.concat([Buffer.from('{"title":"a'), Buffer.from(bad), Buffer.from('b"}')]),
        })),
      },
      { weight: 1, arbitrary: fc.constantFrom('{"title":"a\u0000b"}', '{"title":"\t"}', '{"title":"a\nb"}', '\u0000', '{"ti\u0000tle":"x"}').map((text) => ({ kind: 'raw control characters', bytes: Buffer.from(text) })) },
      { weight: 1, arbitrary: fc.constantFrom('title=x&tags=a', 'title=%00', '{"title":"x"}=', '').map((text) => ({ kind: 'form', bytes: Buffer.from(text) })) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'random bytes', bytes: Buffer.from(bytes) })) },
      { weight: 1, arbitrary: sessionBody.map((t) => ({ kind: 'utf-16', bytes: Buffer.from(serialise(t), 'utf16le') })) },
      { weight: 1, arbitrary: sessionBody.map((t) => ({ kind: 'bom', bytes: Buffer.from(`\ufeff${serialise(t)}`) })) },
      { weight: 1, arbitrary: fc.constantFrom('{}', '[]', '""', 'null', '0', '{"title":"x","title":"y"}', '{"title":"x"} {"title":"y"}', '{"title":"x",}', "{'title':'x'}", 'NaN', '{"title":NaN}').map((text) => ({ kind: 'odd json', bytes: Buffer.from(text) })) },
      { weight: 1, arbitrary: fc.constantFrom(1024 * 1024 + 1, 2 * 1024 * 1024).map((size) => ({ kind: 'over the limit', bytes: Buffer.from(`{"title":"${'x'.repeat(size)}"}`) })) },
    );
    const contentType = fc.option(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8') },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            'APPLICATION/JSON', 'application/merge-patch+json', 'application/vnd.api+json', 'application/json; charset=latin1', 'application/json; charset=utf-16',
            'application/json; charset="utf-8"', 'application/json; charset', 'application/json;;', 'application/json, text/plain', ' application/json ',
            'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json',
            'application/jsonp', 'application/', '/json', ';;;', 'garbage', '', '*/*', 'application/json; boundary="', 'application/json\u00ff',
          ),
        },
      ),
      { nil: undefined, freq: 8 },
    );

    // ---- headers ---------------------------------------------------------------------------------

    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 80 });
    const extraHeader: fc.Arbitrary<[string, string | Buffer]> = fc.oneof(
      fc.tuple(
        fc.constant('Range'),
        fc.constantFrom('bytes=0-99', 'bytes=-0', 'bytes=-100', 'bytes=0-', 'bytes=0-999999999999999999999', 'bytes=-99999999999999999999', 'bytes=5-1', 'bytes=0-0,1-1,2-2', `bytes=${Array.from({ length: 400 }, (_, i) => `${i * 2}-${i * 2}`).join(',')}`, 'bytes=abc', 'items=0-1', 'bytes=', 'bytes=-', 'bytes=1-2-3', 'bytes=0-1, -1', 'bytes=1e3-2e3'),
      ),
      fc.tuple(fc.constantFrom('If-Match', 'If-None-Match', 'If-Range'), fc.oneof(fc.constantFrom('"1"', '"2"', '"999999"', '*', 'W/"1"', '"', 'garbage', '"1", "2"', '"-1"', '"1e400"', 'Thu, 01 Jan 1970 00:00:00 GMT'), printable)),
      fc.tuple(fc.constant('If-Modified-Since'), fc.constantFrom('Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT', 'garbage', '99999999999999999999', '')),
      fc.tuple(fc.constant('Idempotency-Key'), fc.oneof(fc.constantFrom('k1', 'k1', 'k2', '', ' ', 'x'.repeat(300), '__proto__'), printable)),
      fc.tuple(fc.constant('X-Request-Id'), fc.oneof(printable, fc.constantFrom('x'.repeat(129), 'trace-1'))),
      fc.tuple(fc.constant('Last-Event-ID'), fc.constantFrom('0', '-1', '1e400', 'abc', '99999999999999999999', '')),
      fc.tuple(fc.constantFrom('Accept', 'Accept-Encoding', 'Accept-Language'), fc.constantFrom('text/html', '*/*', 'application/xml', 'gzip, br', 'identity;q=0', 'fr')),
      fc.tuple(fc.constant('Content-Encoding'), fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-garbage')),
      fc.tuple(fc.constant('Expect'), fc.constantFrom('100-continue', 'garbage', '100-continue, x')),
      fc.tuple(fc.constant('Origin'), fc.constantFrom(`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`, 'http://evil.com', 'null', '', `http://127.0.0.1:${port + 1}`)),
      fc.tuple(fc.constantFrom('X-HTTP-Method-Override', 'X-Forwarded-For', 'X-Forwarded-Host', 'Forwarded', 'Cookie', 'Referer'), printable),
      fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/), printable),
      // Bytes outside visible ASCII in a value: obs-text Node lets through, controls it refuses.
      fc.tuple(fc.constant('X-Bytes'), fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => Buffer.from(bytes.map((byte) => (byte === 0x0d || byte === 0x0a ? 0x20 : byte))))),
    );
    const authorization = fc.oneof(
      { weight: 12, arbitrary: fc.constant<[string, string] | undefined>(['Authorization', `Bearer ${token}`]) },
      { weight: 1, arbitrary: fc.constant<[string, string] | undefined>(undefined) },
      { weight: 1, arbitrary: fc.constantFrom<[string, string] | undefined>(['Authorization', `Bearer ${token.slice(0, -1)}`], ['Authorization', `bearer ${token}`], ['Authorization', `Bearer  ${token}`], ['Authorization', 'Bearer x'], ['Authorization', token]) },
    );
    const host = fc.oneof(
      { weight: 14, arbitrary: fc.constant<string[]>([`127.0.0.1:${port}`]) },
      { weight: 1, arbitrary: fc.constantFrom<string[]>(['localhost'], [`[::1]:${port}`], ['LOCALHOST:1'], ['evil.com'], ['127.0.0.1.evil.com'], [], [`127.0.0.1:${port}`, 'evil.com'], ['']) },
    );

    const fuzzCase: fc.Arbitrary<FuzzCase> = target
      .chain((request) =>
        fc.record({
          request: fc.constant(request),
          host,
          authorization,
          extra: fc.array(extraHeader, { maxLength: 3 }),
          body: fc.option(bodyFor(request.method, request.template), { nil: undefined, freq: 4 }),
          contentType,
          chunked: fc.boolean(),
        }),
      )
      .map(({ request: { method: m, target: t }, host: hosts, authorization: auth, extra, body: b, contentType: type, chunked }) => {
        // A body on GET and DELETE too, sometimes: the fuzzer does not care what is usual.
        const sendsBody = b !== undefined && (!['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(m) || chunked);
        const headers: Array<[string, string | Buffer]> = [
          ...hosts.map((value): [string, string] => ['Host', value]),
          ...(auth ? [auth] : []),
          ...(type !== undefined ? [['Content-Type', type] as [string, string]] : []),
          ...extra,
        ];
        return { method: m, target: t, headers, body: sendsBody ? b!.bytes : undefined, chunked: sendsBody && chunked && b!.bytes.length > 0, bodyKind: sendsBody ? b!.kind : 'none' };
      });

    // ---- the property ----------------------------------------------------------------------------

    const check = async (generated: FuzzCase) => {
      stats.cases += 1;
      const c = resolveLive(generated);
      const outcome = await rawHttp(port, requestBytes(c), { timeoutMs: CASE_TIMEOUT_MS });
      const where = () => `request: ${describeCase(c)}\n  response: ${outcome.response ? `${outcome.response.statusLine} ${JSON.stringify(outcome.response.headers)} ${outcome.response.text.slice(0, 400)}` : `none (${outcome.error ?? 'closed'})`}`;
      assert.ok(!outcome.timedOut, `no answer within ${CASE_TIMEOUT_MS} ms\n  ${where()}`);
      const response = outcome.response;
      if (response === null) {
        stats.noResponse += 1;
        assert.fail(`the connection closed without a response\n  ${where()}`);
      }
      stats.statuses.set(response.status, (stats.statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 200 && response.status < 300 && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(c.method)) stats.writesAccepted += 1;
      checkResponse(c, response, where);
      if (response.cutOff) stats.streams += 1;
      track(c, response);
      // The server runs in this process: a polluted prototype would show here.
      assertNoPollution(prototypesBefore);
      if (stats.cases % BATCH === 0) await assertHealthy();
    };

    const checkResponse = (c: FuzzCase, response: RawHttpResponse, where: () => string) => {
      const m = c.method.toUpperCase();
      // An absolute-form target (`GET http://host/path`) is routed by its path, as Koa does.
      const target = c.target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '') || '/';
      // As the server routes it: repeated slashes merged (contract §1).
      const pathname = target.split(/[?#]/)[0].replace(/\/{2,}/g, '/');
      const template = documented.templateOf(target);
      assert.ok(response.headers['x-request-id'], `no X-Request-Id\n  ${where()}`);
      if (process.env.FUZZ_DEBUG) debugLines.push(`${m} ${template ?? '-'} ${response.status} ${response.body?.error?.code ?? ''} ${String(response.body?.error?.message ?? '').slice(0, 50)}`);

      // Never a 5xx, but where the contract foresees one.
      if (response.status >= 500) {
        const code = response.body?.error?.code;
        const allowed =
          (response.status === 501 && m === 'POST' && code === (template?.endsWith('/open') ? 'open_unavailable' : template?.endsWith('/focus') ? 'focus_unavailable' : '')) ||
          (response.status === 503 && code === 'overloaded' && template !== undefined && writeRoutes.has(`${m} ${template}`) && response.headers['retry-after'] !== undefined);
        assert.ok(allowed, `a ${response.status} the contract does not foresee\n  ${where()}`);
      }

      const type = response.headers['content-type'] ?? '';
      if (response.status >= 400) {
        // The error envelope, exactly (§4).
        assert.match(type, /^application\/json; charset=utf-8$/i, `an error that is not the JSON envelope\n  ${where()}`);
        if (m === 'HEAD') return;
        const { body } = response;
        assert.ok(body && typeof body === 'object' && !Array.isArray(body), `error body is not a JSON object\n  ${where()}`);
        assert.deepEqual(Object.keys(body), ['error'], `error body keys\n  ${where()}`);
        const { error } = body;
        const code = String(error.code);
        stats.codes.set(code, (stats.codes.get(code) ?? 0) + 1);
        assert.ok(code in CONTRACT_CODES, `code ${code} is not one of the contract's\n  ${where()}`);
        assert.equal(error.status, response.status, `error.status is not the HTTP status\n  ${where()}`);
        assert.equal(CONTRACT_CODES[code], response.status, `${code} answers ${CONTRACT_CODES[code]} in the contract\n  ${where()}`);
        assert.equal(typeof error.message, 'string');
        assert.ok(error.message.length > 0, `empty message\n  ${where()}`);
        if (EXACT_MESSAGES[code]) assert.equal(error.message, EXACT_MESSAGES[code], `the contract's message for ${code}\n  ${where()}`);
        const keys = Object.keys(error).sort();
        if (code === 'invalid_request') {
          assert.deepEqual(keys, ['code', 'details', 'message', 'status'], `invalid_request keys\n  ${where()}`);
          assert.ok(Array.isArray(error.details) && error.details.length > 0, `invalid_request without details\n  ${where()}`);
          for (const detail of error.details) assert.deepEqual(Object.keys(detail).sort(), ['field', 'message'], `a detail\n  ${where()}`);
        } else {
          assert.deepEqual(keys, ['code', 'message', 'status'], `error keys\n  ${where()}`);
        }
        // Nothing leaked: no stack trace, no file system path of the server.
        assert.doesNotMatch(response.text, /\n\s+at |node:internal|\/src\/|\.ts:\d+/, `a stack trace or source path in the body\n  ${where()}`);
        assert.ok(!response.text.includes(token), `the token in a response\n  ${where()}`);
      } else if (isWebApp(pathname)) {
        // The web app (§11): `/` and `/app` send the browser to /app/; its pages are HTML, its files what they are.
        if (response.status === 302) assert.equal(response.headers.location, '/app/', `a redirect elsewhere\n  ${where()}`);
        else assert.ok(response.status === 200 || response.status === 303 || response.status === 304, `a ${response.status} from the web app\n  ${where()}`);
        return;
      } else if (response.status === 204 || response.status === 304 || m === 'HEAD') {
        assert.equal(response.bytes.length, 0, `a ${response.status} with a body\n  ${where()}`);
      } else if (/^application\/json/i.test(type)) {
        assert.ok(response.body !== undefined, `JSON content type, body is not JSON\n  ${where()}`);
        if (!/^\/openapi\.json\/?$/i.test(pathname)) {
          const keys = Object.keys(response.body);
          assert.ok(keys.includes('data') && keys.every((key) => key === 'data' || key === 'meta'), `a success that is not {data} / {data, meta}\n  ${where()}`);
        }
      } else {
        // §1: JSON, except the audio stream, the SSE stream and the /docs page (and its assets).
        const fine =
          (/^audio\//i.test(type) && template?.endsWith('/preview/audio')) ||
          (/^text\/event-stream/i.test(type) && template === '/api/v1/events/stream') ||
          (/^text\/html/i.test(type) && template === '/docs') ||
          template === '/docs/assets/{name}';
        assert.ok(fine, `a ${response.status} with content type ${type || 'none'}\n  ${where()}`);
      }

      // The OpenAPI document: each answer of a well-formed request to a documented path is one it lists.
      const refusedByNode = response.status === 400 && response.body?.error?.message === NOT_HTTP;
      if (!refusedByNode && !response.cutOff) {
        const asHttp: HttpResponse = { status: response.status, headers: response.headers, text: response.text, bytes: response.bytes, body: response.body };
        try {
          documented.check(c.method, target, asHttp);
        } catch (error) {
          throw new assert.AssertionError({ message: `${(error as Error).message}\n  ${where()}` });
        }
      }
    };

    /** Sessions the fuzzer's own requests created or deleted: what `{id}` is filled with. */
    const live = [...sessionIds];
    const resolveLive = (c: FuzzCase): FuzzCase => {
      if (!c.target.includes(LIVE)) return c;
      const target = c.target.replace(new RegExp(`${LIVE}(\\d+)${LIVE}`, 'g'), (_, n: string) => (live.length ? live[Number(n) % live.length] : deletedId));
      return { ...c, target };
    };
    const track = (c: FuzzCase, response: RawHttpResponse) => {
      const template = documented.templateOf(c.target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, ''));
      if (c.method === 'POST' && template === '/api/v1/sessions' && response.status === 201) live.push(response.body.data.id);
      if (c.method === 'DELETE' && template === '/api/v1/sessions/{id}' && response.status === 200) {
        const gone = live.indexOf(c.target.split(/[?#]/)[0].split('/')[4]);
        if (gone >= 0 && live.length > 1) live.splice(gone, 1);
      }
    };

    const assertHealthy = async () => {
      stats.healthChecks += 1;
      const outcome = await rawHttp(port, requestBytes({ method: 'GET', target: '/api/v1/health', headers: [['Host', `127.0.0.1:${port}`], ['Authorization', `Bearer ${token}`]] }), { timeoutMs: 5000 });
      assert.equal(outcome.response?.status, 200, `/health after ${stats.cases} cases: ${outcome.response?.text ?? outcome.error ?? 'no answer'}`);
      assert.equal(outcome.response.body.data.status, 'ok');
    };

    const seed = fuzzSeed();
    await fc.assert(fc.asyncProperty(fuzzCase, check), { numRuns: fuzzRuns(), ...(seed === undefined ? {} : { seed }), endOnFailure: false });
    await assertHealthy();
  });

  it('leaves a log that `sessiondock verify` passes, and no error logged', async () => {
    await server.stop();
    const result = await runCli(['verify', '--data-dir', server.dataDir], {}, 60_000);
    assert.equal(result.code, 0, `verify: ${result.stdout}${result.stderr}`);
    const match = /^ok: (\d+) events, hash chain intact\n$/.exec(result.stdout);
    assert.ok(match, result.stdout);
    console.log(`      fuzz: the log holds ${match[1]} events; verify: ok`);
    const errors = server.logs.filter((line) => JSON.parse(line).level === 'error');
    assert.deepEqual(errors, [], 'the server logged errors (an internal_error somewhere)');
  });

  it('polluted no prototype of the process the server runs in', () => {
    assertNoPollution(prototypesBefore);
  });
});

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && ('raw' in value || 'obj' in value || 'arr' in value) && Object.keys(value).length === 1;
}

/** The own property names of the prototypes a pollution would reach. */
function snapshotPrototypes(): Record<string, string[]> {
  const of = (target: object) => Reflect.ownKeys(target).map(String).sort();
  return {
    Object: of(Object.prototype),
    Array: of(Array.prototype),
    Function: of(Function.prototype),
    String: of(String.prototype),
    Number: of(Number.prototype),
    Boolean: of(Boolean.prototype),
    Promise: of(Promise.prototype),
  };
}

function assertNoPollution(before: Record<string, string[]>): void {
  const probe: Record<string, unknown> = {};
  assert.equal(probe.polluted, undefined, 'Object.prototype.polluted is set');
  assert.equal(([] as unknown as Record<string, unknown>).polluted, undefined, 'Array.prototype.polluted is set');
  assert.equal(probe.title, undefined, 'Object.prototype.title is set');
  assert.deepEqual(snapshotPrototypes(), before, 'a built-in prototype gained or lost a property');
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
}
