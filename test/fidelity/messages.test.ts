import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describedRoutes } from '../../src/cli/openapi';
import { attachPreviewBodySchema } from '../../src/commands/attach-preview';
import { createSessionBodySchema } from '../../src/commands/create-session';
import { replaceNotesBodySchema } from '../../src/commands/replace-notes';
import { replaceTagsBodySchema } from '../../src/commands/replace-tags';
import { updateSessionBodySchema } from '../../src/commands/update-session';
import { importBodySchema } from '../../src/schemas/import';
import { DESCRIBED_KEYWORDS, SILENT_KEYWORDS } from '../../src/schemas/messages';
import { patternMessages } from '../../src/schemas/session';
import { replaceWaveformNotesBodySchema } from '../../src/schemas/waveform-notes';
import { assertError } from '../helpers/assertions';
import { startTestServer, type TestServer } from '../helpers/server';

/*
 * Issue 18, item 7: a script author who sent `"accent": ""` was told "accent must NOT have fewer
 * than 1 characters or a lowercase slug…", ajv's words. Every message a validator can give is a
 * sentence that names the field and says the rule with the schema's own numbers; each one is
 * asserted here, word for word, over HTTP.
 */

type Detail = { field: string; message: string };

/** One broken rule of one body schema: what is sent, and exactly what comes back. */
interface BodyCase {
  schema: string;
  /** The rule the body breaks (coverage below checks every rule of every schema has a case). */
  keyword: string;
  /** What a client did. */
  what: string;
  body: unknown;
  message: string;
  details: Detail[];
}

/** Routes, by the body schema they validate with, and how to reach one over HTTP. */
const SCHEMAS: Record<string, { schema: object; method: string; path: (id: string) => string }> = {
  createSession: { schema: createSessionBodySchema, method: 'POST', path: () => '/sessions' },
  updateSession: { schema: updateSessionBodySchema, method: 'PATCH', path: (id) => `/sessions/${id}` },
  replaceNotes: { schema: replaceNotesBodySchema, method: 'PUT', path: (id) => `/sessions/${id}/notes` },
  replaceTags: { schema: replaceTagsBodySchema, method: 'PUT', path: (id) => `/sessions/${id}/tags` },
  attachPreview: { schema: attachPreviewBodySchema, method: 'POST', path: (id) => `/sessions/${id}/previews` },
  replaceWaveformNotes: { schema: replaceWaveformNotesBodySchema, method: 'PUT', path: (id) => `/sessions/${id}/waveform-notes` },
  createImport: { schema: importBodySchema, method: 'POST', path: () => '/import' },
};

const one = (field: string, message: string): Detail[] => [{ field, message }];
const TRIMMED_TITLE = 'must be 1-200 characters, not counting white space at either end';
const SLUG_32 = 'must be a slug of 1-32 letters, digits and single dashes (a space or an underscore counts as a dash)';
const ABSOLUTE_PATH = 'must be an absolute path and at most 4096 characters long';
const PROJECT_PATH = 'must be an absolute path (or "" or null for none) and at most 4096 characters long';
const NOT_EMPTY = 'cannot be empty: leave it out to keep the current value';
const NO_COMMA = 'cannot contain a comma: the tags filter splits on commas';
const VARIANT_ID = 'must be 1-64 letters, digits, _ or -, starting with a letter or digit';
const tooMany = (count: number, item: unknown) => Array.from({ length: count }, () => item);
const longPath = `/${'a'.repeat(4096)}`;

const BODY_CASES: BodyCase[] = [
  // POST /sessions
  { schema: 'createSession', keyword: 'type', what: 'a JSON array for a body', body: [], message: 'Request body must be an object.', details: one('', 'must be an object') },
  { schema: 'createSession', keyword: 'required', what: 'no title', body: { kind: 'Ableton' }, message: 'title is required.', details: one('/title', 'is required') },
  { schema: 'createSession', keyword: 'additionalProperties', what: 'a field SessionDock does not have', body: { title: 'A', colour: 'red' }, message: 'colour is not a known field.', details: one('/colour', 'is not a known field') },
  { schema: 'createSession', keyword: 'additionalProperties', what: 'a server-managed field on create', body: { title: 'A', version: 3 }, message: 'version is read-only.', details: one('/version', 'is read-only') },
  { schema: 'createSession', keyword: 'pattern', what: 'a title of spaces only', body: { title: '   ' }, message: `title ${TRIMMED_TITLE}.`, details: one('/title', TRIMMED_TITLE) },
  { schema: 'createSession', keyword: 'pattern', what: 'a title of 201 characters', body: { title: 'x'.repeat(201) }, message: `title ${TRIMMED_TITLE}.`, details: one('/title', TRIMMED_TITLE) },
  { schema: 'createSession', keyword: 'type', what: 'a number for the title', body: { title: 42 }, message: 'title must be a string.', details: one('/title', 'must be a string') },
  { schema: 'createSession', keyword: 'pattern', what: 'a kind of 65 characters', body: { title: 'A', kind: 'k'.repeat(65) }, message: 'kind must be at most 64 characters, not counting white space at either end.', details: one('/kind', 'must be at most 64 characters, not counting white space at either end') },
  { schema: 'createSession', keyword: 'pattern', what: 'a status with punctuation', body: { title: 'A', status: 'draft!' }, message: `status ${SLUG_32}.`, details: one('/status', SLUG_32) },
  { schema: 'createSession', keyword: 'maxLength', what: 'a status of 33 characters', body: { title: 'A', status: 's'.repeat(33) }, message: `status ${SLUG_32}.`, details: one('/status', SLUG_32) },
  {
    schema: 'createSession',
    keyword: 'anyOf',
    what: 'an accent that is neither a slug nor a colour',
    body: { title: 'A', accent: 'teal!' },
    message: `accent ${SLUG_32} or a #rrggbb colour.`,
    details: one('/accent', `${SLUG_32} or a #rrggbb colour`),
  },
  { schema: 'createSession', keyword: 'type', what: 'one tag as a string', body: { title: 'A', tags: 'mix' }, message: 'tags must be a list.', details: one('/tags', 'must be a list') },
  { schema: 'createSession', keyword: 'maxItems', what: '65 tags', body: { title: 'A', tags: Array.from({ length: 65 }, (_, index) => `t${index}`) }, message: 'tags may hold at most 64 tags.', details: one('/tags', 'may hold at most 64 tags') },
  {
    schema: 'createSession',
    keyword: 'pattern',
    what: 'a blank tag',
    body: { title: 'A', tags: ['mix', '  '] },
    message: 'tags[1] must be 1-48 characters, not counting white space at either end.',
    details: one('/tags/1', 'must be 1-48 characters, not counting white space at either end'),
  },
  { schema: 'createSession', keyword: 'maxLength', what: 'notes of 20,001 characters', body: { title: 'A', notes: 'n'.repeat(20001) }, message: 'notes must be at most 20000 characters long.', details: one('/notes', 'must be at most 20000 characters long') },
  { schema: 'createSession', keyword: 'type', what: 'a number for the client', body: { title: 'A', client: 7 }, message: 'client must be a string or null.', details: one('/client', 'must be a string or null') },
  { schema: 'createSession', keyword: 'maxLength', what: 'a client of 201 characters', body: { title: 'A', client: 'c'.repeat(201) }, message: 'client must be at most 200 characters long.', details: one('/client', 'must be at most 200 characters long') },
  { schema: 'createSession', keyword: 'pattern', what: 'a tag with a comma', body: { title: 'A', tags: ['mix', 'drums,bass'] }, message: `tags[1] ${NO_COMMA}.`, details: one('/tags/1', NO_COMMA) },
  { schema: 'createSession', keyword: 'pattern', what: 'a relative project path', body: { title: 'A', projectPath: 'Music/Song.als' }, message: `projectPath ${PROJECT_PATH}.`, details: one('/projectPath', PROJECT_PATH) },
  {
    schema: 'createSession',
    keyword: 'required',
    what: 'several mistakes at once: the first is the message, every one is in the details',
    body: { colour: 'red', tags: 'mix', client: 7 },
    message: 'title is required.',
    details: [
      { field: '/title', message: 'is required' },
      { field: '/colour', message: 'is not a known field' },
      { field: '/tags', message: 'must be a list' },
      { field: '/client', message: 'must be a string or null' },
    ],
  },

  // PATCH /sessions/{id}
  { schema: 'updateSession', keyword: 'minProperties', what: 'an empty object', body: {}, message: 'Request body must set at least one field.', details: one('', 'must set at least one field') },
  { schema: 'updateSession', keyword: 'type', what: 'a JSON string for a body', body: 'draft', message: 'Request body must be an object.', details: one('', 'must be an object') },
  { schema: 'updateSession', keyword: 'additionalProperties', what: 'a field SessionDock does not have', body: { colour: 'red' }, message: 'colour is not a known field.', details: one('/colour', 'is not a known field') },
  { schema: 'updateSession', keyword: 'pattern', what: 'a blank title', body: { title: ' ' }, message: `title ${TRIMMED_TITLE}.`, details: one('/title', TRIMMED_TITLE) },
  { schema: 'updateSession', keyword: 'pattern', what: 'an empty accent', body: { accent: '' }, message: `accent ${NOT_EMPTY}.`, details: one('/accent', NOT_EMPTY) },
  { schema: 'updateSession', keyword: 'pattern', what: 'a status of spaces', body: { status: '  ' }, message: `status ${NOT_EMPTY}.`, details: one('/status', NOT_EMPTY) },
  { schema: 'updateSession', keyword: 'pattern', what: 'an empty kind', body: { kind: '' }, message: `kind ${NOT_EMPTY}.`, details: one('/kind', NOT_EMPTY) },
  { schema: 'updateSession', keyword: 'pattern', what: 'a kind of 65 characters', body: { kind: 'k'.repeat(65) }, message: 'kind must be at most 64 characters, not counting white space at either end.', details: one('/kind', 'must be at most 64 characters, not counting white space at either end') },
  {
    schema: 'updateSession',
    keyword: 'anyOf',
    what: 'an accent that is neither a slug nor a colour',
    body: { accent: '#12345' },
    message: `accent ${SLUG_32} or a #rrggbb colour.`,
    details: one('/accent', `${SLUG_32} or a #rrggbb colour`),
  },
  { schema: 'updateSession', keyword: 'maxLength', what: 'a status of 33 characters', body: { status: 's'.repeat(33) }, message: `status ${SLUG_32}.`, details: one('/status', SLUG_32) },
  { schema: 'updateSession', keyword: 'anyOf', what: 'a number for the notes', body: { notes: 5 }, message: 'notes must be a string or null.', details: one('/notes', 'must be a string or null') },
  { schema: 'updateSession', keyword: 'type', what: 'a tag string for the tags', body: { tags: 'mix' }, message: 'tags must be a list or null.', details: one('/tags', 'must be a list or null') },
  { schema: 'updateSession', keyword: 'maxItems', what: '65 tags', body: { tags: Array.from({ length: 65 }, (_, index) => `t${index}`) }, message: 'tags may hold at most 64 tags.', details: one('/tags', 'may hold at most 64 tags') },
  { schema: 'updateSession', keyword: 'pattern', what: 'a variant id with a leading dash', body: { preferredPreviewId: '-main' }, message: `preferredPreviewId ${VARIANT_ID}.`, details: one('/preferredPreviewId', VARIANT_ID) },
  { schema: 'updateSession', keyword: 'pattern', what: 'a tag with a comma', body: { tags: ['drums,bass'] }, message: `tags[0] ${NO_COMMA}.`, details: one('/tags/0', NO_COMMA) },
  { schema: 'updateSession', keyword: 'pattern', what: 'a relative project path', body: { projectPath: 'Song.als' }, message: `projectPath ${PROJECT_PATH}.`, details: one('/projectPath', PROJECT_PATH) },
  { schema: 'updateSession', keyword: 'maxLength', what: 'a project path of 4097 characters', body: { projectPath: longPath }, message: `projectPath ${PROJECT_PATH}.`, details: one('/projectPath', PROJECT_PATH) },

  // PUT /sessions/{id}/notes
  { schema: 'replaceNotes', keyword: 'type', what: 'a JSON array for a body', body: ['notes'], message: 'Request body must be an object.', details: one('', 'must be an object') },
  { schema: 'replaceNotes', keyword: 'required', what: 'no notes', body: {}, message: 'notes is required.', details: one('/notes', 'is required') },
  { schema: 'replaceNotes', keyword: 'additionalProperties', what: 'a field the notes body does not have', body: { notes: '', colour: 1 }, message: 'colour is not a known field.', details: one('/colour', 'is not a known field') },
  { schema: 'replaceNotes', keyword: 'anyOf', what: 'a number for the notes', body: { notes: 5 }, message: 'notes must be a string or null.', details: one('/notes', 'must be a string or null') },
  { schema: 'replaceNotes', keyword: 'maxLength', what: 'notes of 20,001 characters', body: { notes: 'n'.repeat(20001) }, message: 'notes must be at most 20000 characters long.', details: one('/notes', 'must be at most 20000 characters long') },

  // PUT /sessions/{id}/tags
  { schema: 'replaceTags', keyword: 'type', what: 'a JSON string for a body', body: 'mix', message: 'Request body must be an object.', details: one('', 'must be an object') },
  { schema: 'replaceTags', keyword: 'required', what: 'no tags', body: {}, message: 'tags is required.', details: one('/tags', 'is required') },
  { schema: 'replaceTags', keyword: 'additionalProperties', what: 'a field the tags body does not have', body: { tags: [], colour: 1 }, message: 'colour is not a known field.', details: one('/colour', 'is not a known field') },
  { schema: 'replaceTags', keyword: 'type', what: 'a number among the tags', body: { tags: ['mix', 3] }, message: 'tags[1] must be a string.', details: one('/tags/1', 'must be a string') },
  { schema: 'replaceTags', keyword: 'maxItems', what: '65 tags', body: { tags: Array.from({ length: 65 }, (_, index) => `t${index}`) }, message: 'tags may hold at most 64 tags.', details: one('/tags', 'may hold at most 64 tags') },
  {
    schema: 'replaceTags',
    keyword: 'pattern',
    what: 'a tag of 49 characters',
    body: { tags: ['t'.repeat(49)] },
    message: 'tags[0] must be 1-48 characters, not counting white space at either end.',
    details: one('/tags/0', 'must be 1-48 characters, not counting white space at either end'),
  },

  { schema: 'replaceTags', keyword: 'pattern', what: 'a tag with a comma', body: { tags: ['mix', 'a,b'] }, message: `tags[1] ${NO_COMMA}.`, details: one('/tags/1', NO_COMMA) },

  // POST /sessions/{id}/previews
  { schema: 'attachPreview', keyword: 'type', what: 'a JSON array for a body', body: [], message: 'Request body must be an object.', details: one('', 'must be an object') },
  { schema: 'attachPreview', keyword: 'required', what: 'no path', body: { name: 'Mix' }, message: 'path is required.', details: one('/path', 'is required') },
  { schema: 'attachPreview', keyword: 'additionalProperties', what: 'a field the attach body does not have', body: { path: '/a.wav', colour: 1 }, message: 'colour is not a known field.', details: one('/colour', 'is not a known field') },
  { schema: 'attachPreview', keyword: 'pattern', what: 'a relative path', body: { path: 'Bounces/mix.wav' }, message: `path ${ABSOLUTE_PATH}.`, details: one('/path', ABSOLUTE_PATH) },
  { schema: 'attachPreview', keyword: 'maxLength', what: 'a path of 4097 characters', body: { path: longPath }, message: `path ${ABSOLUTE_PATH}.`, details: one('/path', ABSOLUTE_PATH) },
  {
    schema: 'attachPreview',
    keyword: 'pattern',
    what: 'a blank name',
    body: { path: '/a.wav', name: '   ' },
    message: 'name must hold a character other than white space and must be at most 200 characters long.',
    details: one('/name', 'must hold a character other than white space and must be at most 200 characters long'),
  },
  {
    schema: 'attachPreview',
    keyword: 'maxLength',
    what: 'a name of 201 characters',
    body: { path: '/a.wav', name: 'n'.repeat(201) },
    message: 'name must hold a character other than white space and must be at most 200 characters long.',
    details: one('/name', 'must hold a character other than white space and must be at most 200 characters long'),
  },
  { schema: 'attachPreview', keyword: 'type', what: 'a number for the name', body: { path: '/a.wav', name: 5 }, message: 'name must be a string.', details: one('/name', 'must be a string') },
  { schema: 'attachPreview', keyword: 'pattern', what: 'a variant id with a space', body: { path: '/a.wav', id: 'main mix' }, message: `id ${VARIANT_ID}.`, details: one('/id', VARIANT_ID) },

  // PUT /sessions/{id}/waveform-notes
  { schema: 'replaceWaveformNotes', keyword: 'type', what: 'a JSON array for a body', body: [], message: 'Request body must be an object.', details: one('', 'must be an object') },
  { schema: 'replaceWaveformNotes', keyword: 'required', what: 'no notes', body: {}, message: 'notes is required.', details: one('/notes', 'is required') },
  { schema: 'replaceWaveformNotes', keyword: 'required', what: 'a note without text', body: { notes: [{ timestamp: 1 }] }, message: 'notes[0].text is required.', details: one('/notes/0/text', 'is required') },
  { schema: 'replaceWaveformNotes', keyword: 'additionalProperties', what: 'a field the body does not have', body: { notes: [], lane: 'main' }, message: 'lane is not a known field.', details: one('/lane', 'is not a known field') },
  {
    schema: 'replaceWaveformNotes',
    keyword: 'additionalProperties',
    what: 'a field a note does not have',
    body: { notes: [{ timestamp: 1, text: 'x', colour: 'red' }] },
    message: 'notes[0].colour is not a known field.',
    details: one('/notes/0/colour', 'is not a known field'),
  },
  { schema: 'replaceWaveformNotes', keyword: 'type', what: 'one note as a string', body: { notes: 'Drop' }, message: 'notes must be a list.', details: one('/notes', 'must be a list') },
  { schema: 'replaceWaveformNotes', keyword: 'type', what: 'a note that is a string', body: { notes: ['Drop'] }, message: 'notes[0] must be an object.', details: one('/notes/0', 'must be an object') },
  { schema: 'replaceWaveformNotes', keyword: 'maxItems', what: '1001 notes', body: { notes: tooMany(1001, { timestamp: 1, text: 'x' }) }, message: 'notes may hold at most 1000 notes.', details: one('/notes', 'may hold at most 1000 notes') },
  {
    schema: 'replaceWaveformNotes',
    keyword: 'minimum',
    what: 'a note before the start',
    body: { notes: [...tooMany(3, { timestamp: 1, text: 'x' }), { timestamp: -1, text: 'x' }] },
    message: 'notes[3].timestamp must be a number of seconds from 0 to 86400.',
    details: one('/notes/3/timestamp', 'must be a number of seconds from 0 to 86400'),
  },
  {
    schema: 'replaceWaveformNotes',
    keyword: 'maximum',
    what: 'a note past a day',
    body: { notes: [{ timestamp: 86400.5, text: 'x' }] },
    message: 'notes[0].timestamp must be a number of seconds from 0 to 86400.',
    details: one('/notes/0/timestamp', 'must be a number of seconds from 0 to 86400'),
  },
  { schema: 'replaceWaveformNotes', keyword: 'type', what: 'a timestamp as text', body: { notes: [{ timestamp: '1:30', text: 'x' }] }, message: 'notes[0].timestamp must be a number.', details: one('/notes/0/timestamp', 'must be a number') },
  { schema: 'replaceWaveformNotes', keyword: 'minLength', what: 'an empty note', body: { notes: [{ timestamp: 1, text: '' }] }, message: 'notes[0].text must be 1-2000 characters long.', details: one('/notes/0/text', 'must be 1-2000 characters long') },
  { schema: 'replaceWaveformNotes', keyword: 'maxLength', what: 'a note of 2001 characters', body: { notes: [{ timestamp: 1, text: 't'.repeat(2001) }] }, message: 'notes[0].text must be 1-2000 characters long.', details: one('/notes/0/text', 'must be 1-2000 characters long') },
  { schema: 'replaceWaveformNotes', keyword: 'maxLength', what: 'a note id of 65 characters', body: { notes: [{ id: 'i'.repeat(65), timestamp: 1, text: 'x' }] }, message: 'notes[0].id must be at most 64 characters long.', details: one('/notes/0/id', 'must be at most 64 characters long') },

  // POST /import
  { schema: 'createImport', keyword: 'type', what: 'a JSON array of items for a body', body: [{ projectPath: '/a.als' }], message: 'Request body must be an object.', details: one('', 'must be an object') },
  { schema: 'createImport', keyword: 'required', what: 'no items', body: { kind: 'Ableton' }, message: 'items is required.', details: one('/items', 'is required') },
  { schema: 'createImport', keyword: 'required', what: 'an item without a project path', body: { items: [{ title: 'A' }] }, message: 'items[0].projectPath is required.', details: one('/items/0/projectPath', 'is required') },
  { schema: 'createImport', keyword: 'additionalProperties', what: 'a field the import body does not have', body: { items: [{ projectPath: '/a.als' }], dryRun: true }, message: 'dryRun is not a known field.', details: one('/dryRun', 'is not a known field') },
  { schema: 'createImport', keyword: 'minItems', what: 'no items to import', body: { items: [] }, message: 'items must hold 1-10000 items.', details: one('/items', 'must hold 1-10000 items') },
  { schema: 'createImport', keyword: 'maxItems', what: '10,001 items', body: { items: tooMany(10001, { projectPath: '/a.als' }) }, message: 'items must hold 1-10000 items.', details: one('/items', 'must hold 1-10000 items') },
  { schema: 'createImport', keyword: 'type', what: '"yes" for generatePreviews', body: { items: [{ projectPath: '/a.als' }], generatePreviews: 'yes' }, message: 'generatePreviews must be true or false.', details: one('/generatePreviews', 'must be true or false') },
  { schema: 'createImport', keyword: 'pattern', what: 'a relative project path', body: { items: [{ projectPath: 'a.als' }] }, message: `items[0].projectPath ${ABSOLUTE_PATH}.`, details: one('/items/0/projectPath', ABSOLUTE_PATH) },
  { schema: 'createImport', keyword: 'maxLength', what: 'a preview path of 4097 characters', body: { items: [{ projectPath: '/a.als', previewAudioPath: longPath }] }, message: `items[0].previewAudioPath ${ABSOLUTE_PATH}.`, details: one('/items/0/previewAudioPath', ABSOLUTE_PATH) },
  {
    schema: 'createImport',
    keyword: 'pattern',
    what: 'a blank default kind',
    body: { kind: '  ', items: [{ projectPath: '/a.als' }] },
    message: 'kind must be 1-64 characters, not counting white space at either end.',
    details: one('/kind', 'must be 1-64 characters, not counting white space at either end'),
  },
];

/** One refused query, and exactly what comes back (400 invalid_query). */
const QUERY_CASES: Array<{ what: string; path: (id: string) => string; message: string }> = [
  { what: 'limit=0', path: () => '/sessions?limit=0', message: 'limit must be a whole number of 1 or more.' },
  { what: 'a negative offset', path: () => '/sessions?offset=-1', message: 'offset must be a whole number of 0 or more.' },
  { what: 'limit given twice', path: () => '/sessions?limit=1&limit=2', message: 'limit may be given only once.' },
  { what: 'an unknown sort', path: () => '/sessions?sort=size', message: 'sort must be one of: title, kind, status, lastOpened, createdAt, updatedAt.' },
  { what: 'an unknown order', path: () => '/sessions?order=up', message: 'order must be one of: asc, desc.' },
  { what: '33 search terms', path: () => `/sessions?q=${Array.from({ length: 33 }, (_, index) => `w${index}`).join('+')}`, message: 'q may hold at most 32 terms; it holds 33.' },
  { what: 'kind and daw that disagree', path: () => '/sessions?kind=Ableton&daw=Reaper', message: 'kind and daw are the same filter (daw is an alias of kind): give one of them, or the same value in both.' },
  { what: 'a tags page of limit=0', path: () => '/tags?limit=0', message: 'limit must be a whole number of 1 or more.' },
  { what: 'an imports page at offset=x', path: () => '/import?offset=x', message: 'offset must be a whole number of 0 or more.' },
  { what: 'recent=maybe', path: () => '/sessions?recent=maybe', message: 'recent must be one of true, false, 1, 0, yes, no (in any case).' },
  { what: 'an unknown event type', path: () => '/events?type=SessionRenamed', message: 'type must name an event type, such as SessionCreated; "SessionRenamed" is not one.' },
  { what: 'events after=ten', path: () => '/events?after=ten', message: 'after must be a whole number of 0 or more.' },
  { what: 'sessionId given twice', path: () => '/events?sessionId=a&sessionId=b', message: 'sessionId may be given only once.' },
  { what: 'a time-travel position that is not a number', path: (id) => `/sessions/${id}?at=yesterday`, message: 'at must be a whole number of 0 or more.' },
  { what: 'points=15', path: (id) => `/sessions/${id}/waveform?points=15`, message: 'points must be a whole number from 16 to 10000.' },
  { what: 'points=10001', path: (id) => `/sessions/${id}/waveform?points=10001`, message: 'points must be a whole number from 16 to 10000.' },
  { what: 'variantId given twice', path: (id) => `/sessions/${id}/preview/audio?variantId=a&variantId=b`, message: 'variantId may be given only once.' },
];

/** Every keyword a schema uses, at any depth, with where; SILENT_KEYWORDS hold subschemas or annotate. */
function keywordsOf(schema: unknown, where = '#'): Array<{ keyword: string; where: string; value: unknown }> {
  if (schema === null || typeof schema !== 'object') return [];
  const found: Array<{ keyword: string; where: string; value: unknown }> = [];
  for (const [keyword, value] of Object.entries(schema)) {
    found.push({ keyword, where, value });
    if (keyword === 'properties') for (const [name, sub] of Object.entries(value as object)) found.push(...keywordsOf(sub, `${where}/properties/${name}`));
    else if (keyword === 'items' || (keyword === 'additionalProperties' && typeof value === 'object')) found.push(...keywordsOf(value, `${where}/${keyword}`));
    else if (keyword === 'anyOf' || keyword === 'oneOf' || keyword === 'allOf') (value as unknown[]).forEach((sub, index) => found.push(...keywordsOf(sub, `${where}/${keyword}/${index}`)));
    else if (keyword === 'not' || keyword === 'if' || keyword === 'then' || keyword === 'else') found.push(...keywordsOf(value, `${where}/${keyword}`));
  }
  return found;
}

/** The source files under `directory`, recursively (a few dozen). */
function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const REPO = join(__dirname, '..', '..', '..');

describe('fidelity: messages a person can read (issue 18, item 7)', () => {
  let server: TestServer;
  let sessionId: string;
  const queryMessagesSeen: string[] = [];

  before(async () => {
    server = await startTestServer();
    sessionId = (await server.api('POST', '/sessions', { json: { title: 'Song A' } })).body.data.id;
  });

  after(() => server.dispose());

  describe('each rule of each request body, broken over HTTP: 400 invalid_request, the message and details word for word', () => {
    for (const testCase of BODY_CASES) {
      const { method, path } = SCHEMAS[testCase.schema];
      it(`${method} ${path(':id')} (${testCase.keyword}), ${testCase.what}: "${testCase.message.length > 100 ? `${testCase.message.slice(0, 100)}…` : testCase.message}"`, async () => {
        const response = await server.api(method, path(sessionId), { json: testCase.body });
        assertError(response, 400, 'invalid_request', testCase.message);
        assert.deepEqual(response.body.error.details, testCase.details);
      });
    }
  });

  describe('each refused query parameter: 400 invalid_query, the message word for word', () => {
    for (const testCase of QUERY_CASES) {
      it(`${testCase.what}: "${testCase.message}"`, async () => {
        const response = await server.api('GET', testCase.path(sessionId));
        assertError(response, 400, 'invalid_query', testCase.message);
        queryMessagesSeen.push(response.body.error.message);
      });
    }
  });

  describe('nothing slips in with ajv’s wording', () => {
    const bodies = describedRoutes().filter((route) => route.body);

    it('every route body schema is one the cases above cover', () => {
      const known = new Set(Object.values(SCHEMAS).map(({ schema }) => schema));
      const uncovered = bodies.filter((route) => !known.has(route.body!.schema)).map((route) => `${route.method} ${route.path}`);
      assert.deepEqual(uncovered, [], 'routes whose body schema has no message cases here');
    });

    it('every keyword of every route body schema has a message, every pattern its sentence, and a case above', () => {
      const problems: string[] = [];
      for (const [name, { schema }] of Object.entries(SCHEMAS)) {
        const covered = new Set(BODY_CASES.filter((testCase) => testCase.schema === name).map((testCase) => testCase.keyword));
        for (const { keyword, where, value } of keywordsOf(schema)) {
          if (SILENT_KEYWORDS.has(keyword)) continue;
          if (!DESCRIBED_KEYWORDS.has(keyword)) problems.push(`${name} ${where}: no message is written for "${keyword}"`);
          else if (!covered.has(keyword)) problems.push(`${name} ${where}: no case breaks "${keyword}"`);
          if (keyword === 'pattern' && patternMessages[String(value)] === undefined) problems.push(`${name} ${where}: the pattern ${String(value)} has no sentence in patternMessages`);
        }
      }
      assert.deepEqual(problems, []);
    });

    it('every invalid_query message written under src/http is one a case above received', () => {
      const templates: Array<{ file: string; text: string }> = [];
      for (const file of sourceFiles(join(REPO, 'src', 'http'))) {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          if (!/\binvalid\(|ApiError\('invalid_query'/.test(line) || /const invalid =/.test(line)) continue;
          // The message texts on the line: template literals, and quoted strings with a space in them.
          for (const [, template, quoted] of line.matchAll(/`([^`]*)`|'([^']* [^']*)'/g)) templates.push({ file: relative(REPO, file), text: template ?? quoted });
        }
      }
      assert.ok(templates.length >= 7, `only ${templates.length} message templates found: the scan is broken`);
      const asPattern = (template: string) => new RegExp(`^${template.split(/\$\{[^}]*\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
      const unseen = templates.filter(({ text }) => !queryMessagesSeen.some((message) => asPattern(text).test(message)));
      assert.deepEqual(unseen, [], 'query messages no case above asserts');
    });
  });
});
