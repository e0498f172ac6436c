import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { currentEventSchemas } from '../../events/catalogue';
import { routeTable } from '../../src/http/app';
import { errorDocsOf } from '../../src/http/route';
import type { Services } from '../../src/http/services';
import type { OpenApiDocument } from '../helpers/conformance';
import { rawHttp, requestBytes } from '../helpers/raw-http';
import { sendRawBytes } from '../helpers/raw-socket';
import { startTestServer, type TestServer } from '../helpers/server';
import { tempAudioDir, writeWav, sine, type AudioDir } from '../helpers/audio';

/*
 * Issue 18, items 1 and 10: a client generated from /openapi.json, or written from SessionDock's
 * docs, finds the docs' operation names and groups, examples it can copy, the messages the server
 * really sends, and parameters and event data typed as the server reads and writes them.
 */

/** `METHOD path` → [operationId, tag]: SessionDock's docs' names (camelCase), ours in the same style. */
const EXPECTED_OPERATIONS: Record<string, [string, string]> = {
  'GET /api/v1/health': ['getHealth', 'system'],
  'GET /openapi.json': ['getOpenApiDocument', 'system'],
  'GET /docs': ['getDocsPage', 'system'],
  'GET /docs/assets/{name}': ['getDocsAsset', 'system'],
  'GET /api/v1/sessions': ['listSessions', 'sessions'],
  'POST /api/v1/sessions': ['createSession', 'sessions'],
  'GET /api/v1/sessions/{id}': ['getSession', 'sessions'],
  'PATCH /api/v1/sessions/{id}': ['patchSession', 'sessions'],
  'DELETE /api/v1/sessions/{id}': ['deleteSession', 'sessions'],
  'GET /api/v1/sessions/{id}/tags': ['getSessionTags', 'metadata'],
  'PUT /api/v1/sessions/{id}/tags': ['replaceSessionTags', 'metadata'],
  'PATCH /api/v1/sessions/{id}/tags': ['patchSessionTags', 'metadata'],
  'GET /api/v1/sessions/{id}/notes': ['getSessionNotes', 'metadata'],
  'PUT /api/v1/sessions/{id}/notes': ['replaceSessionNotes', 'metadata'],
  'PATCH /api/v1/sessions/{id}/notes': ['patchSessionNotes', 'metadata'],
  'GET /api/v1/tags': ['listTags', 'tags'],
  'GET /api/v1/sessions/{id}/preview': ['getSessionPreview', 'previews'],
  'GET /api/v1/sessions/{id}/preview/audio': ['getSessionPreviewAudio', 'previews'],
  'POST /api/v1/sessions/{id}/previews': ['attachPreview', 'previews'],
  'DELETE /api/v1/sessions/{id}/previews/{variantId}': ['detachPreview', 'previews'],
  'GET /api/v1/sessions/{id}/waveform': ['getSessionWaveform', 'previews'],
  'GET /api/v1/sessions/{id}/waveform-notes': ['getSessionWaveformNotes', 'previews'],
  'PUT /api/v1/sessions/{id}/waveform-notes': ['replaceSessionWaveformNotes', 'previews'],
  'PATCH /api/v1/sessions/{id}/waveform-notes': ['patchSessionWaveformNotes', 'previews'],
  'POST /api/v1/import': ['createImport', 'imports'],
  'GET /api/v1/import': ['listImports', 'imports'],
  'GET /api/v1/import/{importId}': ['getImport', 'imports'],
  'POST /api/v1/sessions/{id}/open': ['openSession', 'automation'],
  'POST /api/v1/sessions/{id}/focus': ['focusSession', 'automation'],
  'GET /api/v1/events': ['listEvents', 'events'],
  'GET /api/v1/events/stream': ['streamEvents', 'events'],
  'GET /api/v1/sessions/{id}/history': ['getSessionHistory', 'events'],
};

/** The docs' groups in the docs' order, then ours. */
const EXPECTED_TAGS = ['system', 'sessions', 'metadata', 'tags', 'previews', 'imports', 'automation', 'events'];

const AUDIO_TYPES = ['audio/wav', 'audio/aiff', 'audio/flac', 'audio/mpeg', 'audio/ogg', 'audio/mp4', 'application/octet-stream'];

const UNKNOWN_SESSION = 'session_01JHB3Z9K2M4N5P6Q7R8S9T0VW';

type Operation = Record<string, any>;

function operationsOf(document: OpenApiDocument): Array<{ key: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries<Operation>(item).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })));
}

/** The messages an error response's description lists for `code`: `- \`code\`: \`m1\` · \`m2\``. */
function documentedMessages(operation: Operation, status: number, code: string): string[] {
  const description: string = operation.responses[String(status)]?.description ?? '';
  const line = description.split('\n').find((candidate) => candidate.startsWith(`- \`${code}\`:`));
  assert.ok(line, `no line for ${code} under ${status}: ${description}`);
  return [...line.slice(line.indexOf(':') + 1).matchAll(/`([^`]+)`/g)].map((match) => match[1]);
}

/** A documented message as a pattern: `{name}` stands for the part that varies. */
const templatePattern = (template: string) => new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[A-Za-z]+\}/g, '.+')}$`);

/** Every .ts file under the project's src/, found from the compiled test upwards. */
function sourceFiles(): string[] {
  let directory = resolve(__dirname);
  while (!readdirSync(directory).includes('package.json')) directory = dirname(directory);
  const root = join(directory.endsWith('dist') ? dirname(directory) : directory, 'src');
  const walk = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(folder, entry.name)) : entry.name.endsWith('.ts') ? [join(folder, entry.name)] : []));
  return walk(root);
}

describe('fidelity: the OpenAPI document a client is generated from (issue 18, items 1 and 10)', () => {
  let server: TestServer;
  let document: OpenApiDocument;
  let audio: AudioDir;
  const operationAt = (key: string): Operation => {
    const [method, path] = key.split(' ');
    const operation = (document.paths[path] as Record<string, Operation> | undefined)?.[method.toLowerCase()];
    assert.ok(operation, `${key} is not in the document`);
    return operation;
  };
  const create = async (body: object) => {
    const response = await server.api('POST', '/sessions', { json: body });
    assert.equal(response.status, 201, response.text);
    return response.body.data;
  };

  before(async () => {
    audio = tempAudioDir();
    server = await startTestServer({ mode: 'full-automation' });
    const response = await server.call('GET', '/openapi.json');
    assert.equal(response.status, 200, response.text);
    document = response.body;
  });

  after(async () => {
    await server.dispose();
    audio.cleanup();
  });

  it('a generator that sends a body with its GET (and Connection: close) still gets the whole document, not one cut short', async () => {
    const port = Number(new URL(server.origin).port);
    const body = Buffer.from(JSON.stringify({ filler: 'x'.repeat(4 * 1024 * 1024) }));
    for (const chunked of [true, false]) {
      const request = requestBytes({ method: 'GET', target: '/openapi.json', headers: [['Host', `127.0.0.1:${port}`], ['Content-Type', 'application/json']], body, chunked });
      const { response, error } = await rawHttp(port, request);
      assert.equal(error, undefined, `chunked ${chunked}: the connection was reset`);
      assert.equal(response?.status, 200);
      assert.equal(response!.bytes.length, Number(response!.headers['content-length']), `chunked ${chunked}: the document was cut short`);
      assert.deepEqual(response!.body, document);
    }
  });

  describe("the docs' operation names and groups (item 1)", () => {
    it('names every operation with the operationId and tag of SessionDock\'s docs (ours in the same style), and nothing else', () => {
      const found = Object.fromEntries(operationsOf(document).map(({ key, operation }) => [key, [operation.operationId, ...operation.tags]]));
      assert.deepEqual(found, EXPECTED_OPERATIONS);
      const ids = Object.values(found).map(([id]) => id);
      assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    });

    it("lists the tags in the docs' order, each with a one-line description; events says it is beyond the docs", () => {
      const tags = (document as any).tags as Array<{ name: string; description: string }>;
      assert.deepEqual(tags.map((tag) => tag.name), EXPECTED_TAGS);
      for (const tag of tags) assert.match(tag.description, /^[^\n]{10,160}$/, tag.name);
      assert.match(tags.find((tag) => tag.name === 'events')!.description, /^Beyond SessionDock's docs: /);
    });
  });

  describe("the contract's examples (item 1)", () => {
    /** Every example beside a schema in the document: request bodies and responses. */
    const examplesOf = () =>
      operationsOf(document).flatMap(({ key, operation }) => [
        ...Object.entries<any>(operation.requestBody?.content ?? {}).map(([type, media]) => ({ where: `${key} request ${type}`, media })),
        ...Object.entries<any>(operation.responses).flatMap(([status, response]) =>
          Object.entries<any>(response.content ?? {}).map(([type, media]) => ({ where: `${key} ${status} ${type}`, media })),
        ),
      ]).filter(({ media }) => media.example !== undefined);

    const validatorFor = (schema: object) => {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats(ajv);
      return ajv.compile({ ...schema, components: document.components });
    };

    it('gives a request example for every operation with a body, and a response example for every JSON success', () => {
      const missing: string[] = [];
      for (const { key, operation } of operationsOf(document)) {
        if (operation.requestBody && operation.requestBody.content['application/json'].example === undefined) missing.push(`${key} request`);
        for (const [status, response] of Object.entries<any>(operation.responses)) {
          const json = response.content?.['application/json'];
          if (Number(status) < 400 && json && json.example === undefined) missing.push(`${key} ${status}`);
        }
      }
      assert.deepEqual(missing, []);
    });

    it('every example validates against the schema beside it (ajv, the components resolved)', () => {
      const examples = examplesOf();
      assert.ok(examples.length >= 35, `only ${examples.length} examples`);
      const problems = examples.flatMap(({ where, media }) => {
        const validate = validatorFor(media.schema);
        return validate(media.example) ? [] : [`${where}: ${JSON.stringify(validate.errors)}`];
      });
      assert.deepEqual(problems, []);
    });

    it('the check can fail: an example with a malformed session id or a stray field does not validate', () => {
      const create = operationAt('POST /api/v1/sessions');
      const media = create.responses['201'].content['application/json'];
      const validate = validatorFor(media.schema);
      assert.equal(validate({ data: { ...media.example.data, id: 'session_123' } }), false);
      assert.equal(validate({ data: { ...media.example.data, colour: 'red' } }), false);
    });

    it("writes the examples in the contract's formats: 26-character ULID session ids, whole-second timestamps", () => {
      const strings: Array<[string, string]> = [];
      const collect = (value: unknown, key: string) => {
        if (typeof value === 'string') strings.push([key, value]);
        else if (Array.isArray(value)) value.forEach((item) => collect(item, key));
        else if (value !== null && typeof value === 'object') for (const [name, inner] of Object.entries(value)) collect(inner, name);
      };
      for (const { media } of examplesOf()) if (typeof media.example === 'object') collect(media.example, '');
      const ids = strings.flatMap(([, value]) => [...value.matchAll(/session_[0-9A-Za-z]*/g)].map((match) => match[0]));
      const times = strings.filter(([key]) => ['createdAt', 'updatedAt', 'lastOpened', 'at'].includes(key));
      assert.ok(ids.length > 10 && times.length > 10);
      for (const id of ids) assert.match(id, /^session_[0-9A-HJKMNP-TV-Z]{26}$/);
      // The log's own meta.at may keep milliseconds (contract §5.1); every other timestamp is whole seconds.
      for (const [key, time] of times) assert.match(time, key === 'at' ? /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?Z$/ : /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `${key}: ${time}`);
    });
  });

  describe('each error response lists the messages the server really sends (item 1)', () => {
    /** The message of `response` is the one expected, and the document lists it for that operation, status and code. */
    const assertDocumented = (key: string, response: { status: number; body: any }, status: number, code: string, message: string) => {
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.equal(response.body.error.code, code);
      assert.equal(response.body.error.message, message);
      const messages = documentedMessages(operationAt(key), status, code);
      assert.ok(messages.some((template) => templatePattern(template).test(message)), `${key} ${status} ${code} lists ${JSON.stringify(messages)}, not ${JSON.stringify(message)}`);
    };

    it('a client that looks up a 404 on a session route reads "session not found", not a generic "Not found."', async () => {
      assertDocumented('GET /api/v1/sessions/{id}', await server.api('GET', `/sessions/${UNKNOWN_SESSION}`), 404, 'not_found', 'session not found');
      assertDocumented('GET /api/v1/sessions/{id}/notes', await server.api('GET', `/sessions/${UNKNOWN_SESSION}/notes`), 404, 'not_found', 'session not found');
      assertDocumented('PUT /api/v1/sessions/{id}/tags', await server.api('PUT', `/sessions/${UNKNOWN_SESSION}/tags`, { json: { tags: ['mix'] } }), 404, 'not_found', 'session not found');
      assertDocumented('GET /api/v1/sessions/{id}/history', await server.api('GET', `/sessions/${UNKNOWN_SESSION}/history`), 404, 'not_found', 'session not found');
      assert.ok(!documentedMessages(operationAt('GET /api/v1/sessions/{id}'), 404, 'not_found').includes('Not found.'));
    });

    it('the other 404s, 400s, 412 and 501 a docs client meets, each under its operation', async () => {
      const { id } = await create({ title: 'Error messages' });
      assertDocumented('GET /api/v1/sessions/{id}', await server.api('GET', `/sessions/${id}?at=0`), 404, 'not_found', 'session not found at position 0');
      assertDocumented('GET /api/v1/import/{importId}', await server.api('GET', '/import/import_01JHD2F5G8H3J6K9M2N5P8Q1RS'), 404, 'not_found', 'import not found');
      assertDocumented('DELETE /api/v1/sessions/{id}/previews/{variantId}', await server.api('DELETE', `/sessions/${id}/previews/preview_gone`), 404, 'not_found', 'preview variant not found');
      assertDocumented('GET /api/v1/sessions/{id}/preview/audio', await server.api('GET', `/sessions/${id}/preview/audio`), 404, 'not_found', 'The session has no preview.');
      assertDocumented('GET /api/v1/sessions/{id}/waveform', await server.api('GET', `/sessions/${id}/waveform?variantId=preview_gone`), 404, 'not_found', 'preview variant not found');
      assertDocumented('GET /docs/assets/{name}', await server.call('GET', '/docs/assets/index.html'), 404, 'not_found', 'No such documentation asset.');
      assertDocumented(
        'PATCH /api/v1/sessions/{id}',
        await server.api('PATCH', `/sessions/${id}`, { json: { status: 'review' }, headers: { 'If-Match': '"99"' } }),
        412,
        'version_conflict',
        "If-Match does not match the session's current version 1.",
      );
      assertDocumented(
        'POST /api/v1/sessions/{id}/previews',
        await server.api('POST', `/sessions/${id}/previews`, { json: { path: audio.file('missing.wav') } }),
        400,
        'invalid_request',
        'path must be an absolute path to a readable audio file.',
      );
      assertDocumented(
        'POST /api/v1/sessions',
        await server.api('POST', '/sessions', { json: { title: 'Keyed' }, headers: { 'Idempotency-Key': 'k'.repeat(256) } }),
        400,
        'invalid_request',
        'Idempotency-Key must be 1-255 visible ASCII characters.',
      );
      assertDocumented(
        'POST /api/v1/sessions',
        await server.api('POST', '/sessions', { json: { title: 'Keyed' }, headers: { 'Idempotency-Key': '' } }),
        400,
        'invalid_request',
        'Idempotency-Key is empty: send 1-255 visible ASCII characters, or leave the header out.',
      );
      assertDocumented('GET /api/v1/events', await server.api('GET', '/events?type=NoSuchEvent'), 400, 'invalid_query', 'type must name an event type, such as SessionCreated; "NoSuchEvent" is not one.');
      assertDocumented('GET /api/v1/sessions/{id}/waveform', await server.api('GET', `/sessions/${id}/waveform?points=20000`), 400, 'invalid_query', 'points must be a whole number from 16 to 10000.');
      // No client connected and an opener that cannot be found: the same answer on every machine.
      const noOpener = await startTestServer({ opener: join(tmpdir(), 'sessiondock-no-such-opener') });
      try {
        const unfocused = await noOpener.api('POST', '/sessions', { json: { title: 'Nobody to focus' } });
        assertDocumented(
          'POST /api/v1/sessions/{id}/focus',
          await noOpener.api('POST', `/sessions/${unfocused.body.data.id}/focus`),
          501,
          'focus_unavailable',
          'No client is connected and no opener is available to start the web app.',
        );
      } finally {
        await noOpener.dispose();
      }
      assertDocumented('GET /api/v1/sessions/{id}/history', await server.api('GET', `/sessions/${id}/history?limit=0`), 400, 'invalid_query', 'limit must be a whole number of 1 or more.');
    });

    it('a 409 for a taken variant id, with the id in the message', async () => {
      const { id } = await create({ title: 'Two mixes' });
      const path = writeWav(audio.file('mix.wav'), sine({ durationS: 0.05 }));
      assert.equal((await server.api('POST', `/sessions/${id}/previews`, { json: { path, id: 'preview_main' } })).status, 201);
      assertDocumented('POST /api/v1/sessions/{id}/previews', await server.api('POST', `/sessions/${id}/previews`, { json: { path, id: 'preview_main' } }), 409, 'conflict', 'The session already has a preview variant "preview_main".');
    });

    it('every message the code throws with a code is documented under that code (a new or changed message cannot drift from the document)', () => {
      const documented = new Map<string, string[]>();
      const noServices = new Proxy({} as Services, {
        get(_, name) {
          throw new Error(`a route read services.${String(name)} while only being described`);
        },
      });
      for (const route of routeTable(noServices, { heartbeatMs: 0, maxBufferedBytes: 0 })) {
        for (const [code, messages] of Object.entries(errorDocsOf(route))) documented.set(code, [...(documented.get(code) ?? []), ...(messages ?? [])]);
      }
      const thrown = sourceFiles().flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/new ApiError\(\s*'(\w+)',\s*(?:'((?:[^'\\]|\\.)*)'|`((?:[^`\\]|\\.)*)`)/g)].map((match) => ({ file, code: match[1], message: match[2] ?? match[3] })),
      );
      assert.ok(thrown.length >= 25, `only ${thrown.length} messages found`);
      // An unknown path matches no operation, and the web app's pages are outside the API: no operation documents their 404.
      const unrouted = (message: string, file: string) => message.startsWith('No route ') || file.includes('/http/web-app/');
      const sourcePattern = (message: string) => new RegExp(`^${message.replace(/\$\{[^}]*\}/g, '\u0000').replace(/[.*+?^$()|[\]\\{}]/g, '\\$&').replace(/\u0000/g, '.+')}$`);
      const sample = (message: string) => message.replace(/\$\{[^}]*\}/g, 'X');
      const missing = thrown
        .filter(({ message, file }) => !unrouted(message, file))
        .filter(({ code, message }) => !(documented.get(code) ?? []).some((template) => templatePattern(template).test(sample(message)) || sourcePattern(message).test(template)))
        .map(({ file, code, message }) => `${file.split('/src/').pop()}: ${code} ${JSON.stringify(message)}`);
      assert.deepEqual(missing, []);
    });

    it('malformed HTTP gets 400 invalid_request, and every operation documents it with that message', async () => {
      const answer = await sendRawBytes(Number(new URL(server.origin).port), 'GET /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n');
      assert.match(answer.head, /^HTTP\/1\.1 400 /);
      assert.equal(answer.body.error.code, 'invalid_request');
      assert.equal(answer.body.error.message, 'The request is not valid HTTP.');
      for (const { key, operation } of operationsOf(document)) {
        assert.ok(operation.responses['400'].content['application/json'].schema.properties.error.properties.code.enum.includes('invalid_request'), key);
        assert.ok(documentedMessages(operation, 400, 'invalid_request').includes('The request is not valid HTTP.'), key);
      }
    });
  });

  describe('typed event data (item 10)', () => {
    const schemas = () => document.components.schemas as Record<string, any>;

    it("Event is a oneOf of one schema per event type, discriminated by type, each data the catalogue's own schema", () => {
      const event = schemas().Event;
      const types = currentEventSchemas.map(({ type }) => type);
      assert.deepEqual(event.oneOf, types.map((type) => ({ $ref: `#/components/schemas/${type}Event` })));
      assert.deepEqual(event.discriminator, { propertyName: 'type', mapping: Object.fromEntries(types.map((type) => [type, `#/components/schemas/${type}Event`])) });
      for (const { type, schema } of currentEventSchemas) {
        const typed = schemas()[`${type}Event`];
        assert.deepEqual(typed.properties.type, { type: 'string', const: type });
        assert.deepEqual(typed.properties.data, { $ref: `#/components/schemas/${type}Data` });
        assert.deepEqual(schemas()[`${type}Data`], JSON.parse(JSON.stringify(schema)), type);
      }
    });

    it('an audit client reads each event of a real log as its own type: every one validates, and data of another type does not', async () => {
      const { id } = await create({ title: 'Typed log', tags: ['mix'] });
      await server.api('PATCH', `/sessions/${id}`, { json: { status: 'review' } });
      await server.api('PUT', `/sessions/${id}/notes`, { json: { notes: 'louder' } });
      await server.api('DELETE', `/sessions/${id}`);
      const page = await server.api('GET', `/events?sessionId=${id}`);
      assert.deepEqual(page.body.data.map((event: any) => event.type), ['SessionCreated', 'SessionUpdated', 'SessionNotesReplaced', 'SessionDeleted']);
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats(ajv);
      const validate = ajv.compile({ $ref: '#/components/schemas/Event', components: document.components });
      for (const event of page.body.data) assert.ok(validate(event), `${event.type}: ${JSON.stringify(validate.errors)}`);
      const created = page.body.data[0];
      assert.equal(created.data.title, 'Typed log');
      assert.equal(validate({ ...created, type: 'SessionUpdated', data: { ...created.data, colour: 'red' } }), false);
      assert.equal(validate({ ...created, data: { title: 'no other field' } }), false);
    });
  });

  describe('parameters typed as the server reads them (item 10)', () => {
    const parameter = (key: string, name: string) => {
      const found = (operationAt(key).parameters as any[]).find((candidate) => candidate.name === name);
      assert.ok(found, `${key} has no parameter ${name}`);
      return found;
    };

    it('tags and the events type filter are exploded form arrays; type is an enum of the event types', () => {
      assert.deepEqual(
        { ...parameter('GET /api/v1/sessions', 'tags'), description: undefined },
        { name: 'tags', in: 'query', required: false, description: undefined, schema: { type: 'array', items: { type: 'string' } }, style: 'form', explode: true },
      );
      const types = currentEventSchemas.map(({ type }) => type);
      const logged = parameter('GET /api/v1/events', 'type');
      assert.deepEqual([logged.style, logged.explode], ['form', true]);
      assert.deepEqual(logged.schema, { type: 'array', items: { type: 'string', enum: types } });
      assert.deepEqual(parameter('GET /api/v1/events/stream', 'type').schema.items.enum, [...types, 'SessionFocusRequested']);
    });

    it('recent is a boolean, sort and order enums, and the kind/daw rule is in both descriptions', () => {
      assert.deepEqual(parameter('GET /api/v1/sessions', 'recent').schema, { type: 'boolean' });
      assert.deepEqual(parameter('GET /api/v1/sessions', 'sort').schema, { type: 'string', enum: ['title', 'kind', 'status', 'lastOpened', 'createdAt', 'updatedAt'] });
      assert.deepEqual(parameter('GET /api/v1/sessions', 'order').schema, { type: 'string', enum: ['asc', 'desc'] });
      for (const name of ['kind', 'daw']) assert.match(parameter('GET /api/v1/sessions', name).description, /must agree \(case-insensitively\), else 400 `invalid_query`/);
    });

    it('Idempotency-Key carries its pattern: 1-255 visible ASCII characters', () => {
      for (const key of ['POST /api/v1/sessions', 'POST /api/v1/import', 'POST /api/v1/sessions/{id}/previews']) {
        const pattern = new RegExp(parameter(key, 'Idempotency-Key').schema.pattern);
        for (const good of ['a', 'retry-2025-01-15T12:34:56Z', '!~', 'k'.repeat(255)]) assert.ok(pattern.test(good), `${key}: ${good}`);
        for (const bad of ['', 'with space', 'k'.repeat(256), 'caf\u00e9', 'tab\there']) assert.ok(!pattern.test(bad), `${key}: ${JSON.stringify(bad)}`);
      }
    });

    it('a generated client sends tags exploded (tags=a&tags=b) and the server reads them as the document says', async () => {
      const both = await create({ title: 'Both tags', tags: ['explode-a', 'explode-b'] });
      await create({ title: 'One tag', tags: ['explode-a'] });
      const query = new URLSearchParams([['tags', 'explode-a'], ['tags', 'explode-b'], ['recent', 'false']]);
      const page = await server.api('GET', `/sessions?${query}`);
      assert.equal(page.status, 200, page.text);
      assert.deepEqual(page.body.data.map((session: any) => session.id), [both.id]);
      const events = await server.api('GET', `/events?${new URLSearchParams([['type', 'SessionCreated'], ['type', 'SessionDeleted'], ['sessionId', both.id]])}`);
      assert.deepEqual(events.body.data.map((event: any) => event.type), ['SessionCreated']);
    });
  });

  describe('the audio route lists the media types it serves (item 10)', () => {
    it('200 and 206 list audio/wav, aiff, flac, mpeg, ogg, mp4 and application/octet-stream as binary strings, not audio/*', () => {
      for (const status of ['200', '206']) {
        const content = operationAt('GET /api/v1/sessions/{id}/preview/audio').responses[status].content;
        assert.deepEqual(Object.keys(content), AUDIO_TYPES, status);
        for (const type of AUDIO_TYPES) assert.deepEqual(content[type], { schema: { type: 'string', format: 'binary' } }, `${status} ${type}`);
      }
    });

    it('a player fetching a WAV preview gets one of those media types', async () => {
      const { id } = await create({ title: 'Playable' });
      const path = writeWav(audio.file('play.wav'), sine({ durationS: 0.05 }));
      assert.equal((await server.api('POST', `/sessions/${id}/previews`, { json: { path } })).status, 201);
      const whole = await server.api('GET', `/sessions/${id}/preview/audio`);
      assert.equal(whole.status, 200);
      assert.equal(whole.headers['content-type'], 'audio/wav');
      const range = await server.api('GET', `/sessions/${id}/preview/audio`, { headers: { Range: 'bytes=0-99' } });
      assert.equal(range.status, 206);
      assert.ok(AUDIO_TYPES.includes(String(range.headers['content-type'])));
    });
  });
});
