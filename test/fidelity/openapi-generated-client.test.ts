import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { startTestServer, type TestServer } from '../helpers/server';

/*
 * Issue 18's acceptance for item 10: a typed client generated from /openapi.json with
 * openapi-typescript (as a TypeScript user of SessionDock's docs would) calls the docs' operations
 * by their names with typed query parameters, and reads Event.data narrowed by `type` without a
 * cast, in a script that compiles under --strict.
 */

/** A client written against the generated types: what must compile with zero diagnostics. */
const CLIENT = `
import type { components, operations, paths } from './api';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

type ListSessions = operations['listSessions'];
// The docs' listSessions is the GET of /api/v1/sessions.
export const pathIsTheOperation: Same<paths['/api/v1/sessions']['get'], ListSessions> = true;

type ListQuery = NonNullable<ListSessions['parameters']['query']>;
type SessionPage = ListSessions['responses'][200]['content']['application/json'];

/** The transport a real client has (fetch and JSON): only its types matter here. */
declare function getJson(path: string, query: string): Promise<unknown>;
declare function isSessionPage(value: unknown): value is SessionPage;

/** Typed parameters to a query string: arrays repeated (explode), booleans and numbers as text. */
function queryString(query: ListQuery): string {
  const pairs: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined) pairs.push(name + '=' + encodeURIComponent(String(item)));
  }
  return pairs.join('&');
}

export async function listSessions(query: ListQuery): Promise<SessionPage> {
  const body = await getJson('/api/v1/sessions', queryString(query));
  if (!isSessionPage(body)) throw new Error('not a page of sessions');
  return body;
}

export async function recentMixes(): Promise<string[]> {
  const page = await listSessions({ tags: ['mix', 'client-neon'], recent: true, sort: 'lastOpened', order: 'desc', limit: 20, offset: 0 });
  const total: number = page.meta.total;
  return page.data.map((session) => session.title + ' (' + session.kind + ', ' + session.status + ') ' + (session.previewAudioMime ?? 'no preview') + ' of ' + total);
}

type Event = components['schemas']['Event'];
type EventPage = operations['listEvents']['responses'][200]['content']['application/json'];

/** The titles of the sessions an audit page created: SessionCreated's data read without a cast. */
export function createdTitles(page: EventPage): string[] {
  const titles: string[] = [];
  for (const event of page.data) {
    if (event.type === 'SessionCreated') {
      const data = event.data;
      const tags: string[] = data.tags;
      const client: string | null = data.client;
      titles.push(data.title + ' ' + tags.join(',') + ' ' + (client ?? ''));
    }
  }
  return titles;
}

/** What a live-stream listener shows for an event: each type's own fields. */
export function describe(event: Event): string {
  switch (event.type) {
    case 'SessionCreated':
      return 'created ' + event.data.title;
    case 'PreviewAttached':
      return 'attached ' + event.data.path + ' as ' + event.data.variantId;
    case 'ImportItemProcessed':
      return 'import item ' + event.data.index + ': ' + event.data.outcome;
    case 'WaveformNotesReplaced':
      return event.data.notes.length + ' notes on ' + event.data.lane;
    default:
      return event.type;
  }
}
`;

/** Scripts that must NOT compile, each for one reason: the types are not vacuous. */
const MISTAKES: Record<string, { source: string; code: number }> = {
  'field-created-lacks': {
    source: `import type { components } from './api';
export function read(event: components['schemas']['Event']): string {
  if (event.type === 'SessionCreated') return event.data.variantId;
  return '';
}`,
    code: 2339, // Property 'variantId' does not exist on type …
  },
  'data-not-narrowed': {
    source: `import type { components } from './api';
export const read = (event: components['schemas']['Event']): string => event.data.title;`,
    code: 2339,
  },
  'recent-as-text': {
    source: `import type { operations } from './api';
export const query: NonNullable<operations['listSessions']['parameters']['query']> = { recent: 'yes' };`,
    code: 2322, // Type 'string' is not assignable to type 'boolean'.
  },
  'sort-unknown': {
    source: `import type { operations } from './api';
export const query: NonNullable<operations['listSessions']['parameters']['query']> = { sort: 'colour' };`,
    code: 2322,
  },
  'tags-as-one-string': {
    source: `import type { operations } from './api';
export const query: NonNullable<operations['listSessions']['parameters']['query']> = { tags: 'mix,client-neon' };`,
    code: 2322,
  },
};

/** Every console line and stderr write while `work` runs: openapi-typescript warns through them. */
async function printedDuring<T>(work: () => Promise<T>): Promise<{ result: T; printed: string[] }> {
  const printed: string[] = [];
  const saved = { warn: console.warn, error: console.error, log: console.log, debug: console.debug, info: console.info, stderr: process.stderr.write };
  const record = (...parts: unknown[]) => void printed.push(parts.map(String).join(' '));
  Object.assign(console, { warn: record, error: record, log: record, debug: record, info: record });
  process.stderr.write = ((chunk: string | Uint8Array) => (printed.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { result: await work(), printed };
  } finally {
    Object.assign(console, { warn: saved.warn, error: saved.error, log: saved.log, debug: saved.debug, info: saved.info });
    process.stderr.write = saved.stderr;
  }
}

const compilerOptions: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  lib: ['lib.es2022.d.ts'],
  types: [],
  noUnusedLocals: true,
};

describe('fidelity: a typed client generated from /openapi.json with openapi-typescript compiles under --strict (issue 18, item 10)', () => {
  let server: TestServer;
  let directory: string;
  let diagnostics: Map<string, readonly ts.Diagnostic[]>;
  let printed: string[];

  before(async function () {
    this.timeout(60_000);
    server = await startTestServer();
    directory = mkdtempSync(join(tmpdir(), 'sessiondock-generated-client-'));
    const response = await server.call('GET', '/openapi.json');
    assert.equal(response.status, 200, response.text);

    const { default: openapiTS, astToString } = await import('openapi-typescript');
    const generated = await printedDuring(async () => astToString(await openapiTS(response.body)));
    printed = generated.printed;
    writeFileSync(join(directory, 'api.ts'), generated.result);
    writeFileSync(join(directory, 'client.ts'), CLIENT);
    for (const [name, { source }] of Object.entries(MISTAKES)) writeFileSync(join(directory, `${name}.ts`), source);

    // One program for the client and every mistake: diagnostics are told apart by file.
    const rootNames = ['client.ts', ...Object.keys(MISTAKES).map((name) => `${name}.ts`)].map((file) => join(directory, file));
    const program = ts.createProgram({ rootNames, options: compilerOptions });
    diagnostics = new Map(rootNames.map((file) => [file, ts.getPreEmitDiagnostics(program, program.getSourceFile(file))]));
    diagnostics.set(join(directory, 'api.ts'), ts.getPreEmitDiagnostics(program, program.getSourceFile(join(directory, 'api.ts'))));
  });

  after(async () => {
    await server?.dispose();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  const explain = (found: readonly ts.Diagnostic[]) =>
    found.map((diagnostic) => `TS${diagnostic.code} ${diagnostic.file?.fileName.split('/').pop()}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`).join('\n');

  it('generates the types from the served document without a warning', () => {
    assert.deepEqual(printed, []);
  });

  it('a strict script that calls listSessions with typed query parameters and reads SessionCreated data without a cast compiles with zero diagnostics', () => {
    const found = [...diagnostics.get(join(directory, 'api.ts'))!, ...diagnostics.get(join(directory, 'client.ts'))!];
    assert.equal(found.length, 0, explain(found));
  });

  for (const [name, { code }] of Object.entries(MISTAKES)) {
    it(`the compile can fail: ${name} is a TS${code} diagnostic`, () => {
      const found = diagnostics.get(join(directory, `${name}.ts`))!;
      assert.ok(found.some((diagnostic) => diagnostic.code === code), `expected TS${code}, got:\n${explain(found) || 'no diagnostic'}`);
    });
  }
});
