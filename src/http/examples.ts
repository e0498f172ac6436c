import { DEFAULT_PORT } from '../config';
import { RECONNECT_MS } from './sse-frames';

/*
 * The example requests and answers of the OpenAPI document: realistic values in the contract's
 * formats (ids `session_` + a 26-character ULID, timestamps with whole seconds). Each validates
 * against the schema it stands beside (test/fidelity/openapi-document.test.ts checks every one).
 */

const SESSION_ID = 'session_01JHB3Z9K2M4N5P6Q7R8S9T0VW';
const OTHER_SESSION_ID = 'session_01JHC7QXW4R2T5Y8B3N6M9K0PD';
const IMPORT_ID = 'import_01JHD2F5G8H3J6K9M2N5P8Q1RS';
const BASE = `http://127.0.0.1:${DEFAULT_PORT}/api/v1`;
const PROJECT = '/Users/ana/Music/Midnight Drive Project';
const CREATED = '2025-01-10T09:15:00Z';
const NOW = '2025-01-15T12:34:56Z';

const mainMix = { id: 'preview_main', name: 'Main mix', path: `${PROJECT}/Bounces/Midnight Drive.wav`, status: 'ready' };

const previewSummary = {
  previewStatus: 'ready',
  previewUrl: `${BASE}/sessions/${SESSION_ID}/preview`,
  previewAudioUrl: `${BASE}/sessions/${SESSION_ID}/preview/audio`,
  previewAudioMime: 'audio/wav',
  preferredPreviewId: 'preview_main',
  previews: [mainMix],
};

const session = {
  id: SESSION_ID,
  title: 'Midnight Drive',
  kind: 'Ableton',
  status: 'in-progress',
  accent: '#ff8800',
  tags: ['synthwave', 'client-neon'],
  notes: 'Tighten the bridge; bounce stems for review.',
  client: 'Neon Records',
  projectPath: `${PROJECT}/Midnight Drive.als`,
  projectOriginalPath: `${PROJECT}/Midnight Drive.als`,
  lastOpened: NOW,
  ...previewSummary,
  createdAt: CREATED,
  updatedAt: NOW,
  version: 7,
};

/** What the create request set, as the SessionCreated event records it. */
const newSessionFields = {
  title: 'Summer Anthem',
  kind: 'Logic Pro',
  status: 'draft',
  accent: 'default',
  tags: ['pop'],
  notes: '',
  client: null,
  projectPath: '/Users/ana/Music/Summer Anthem.logicx',
};

const newSession = {
  ...session,
  id: OTHER_SESSION_ID,
  ...newSessionFields,
  projectOriginalPath: '/Users/ana/Music/Summer Anthem.logicx',
  lastOpened: null,
  previewStatus: 'none',
  previewUrl: `${BASE}/sessions/${OTHER_SESSION_ID}/preview`,
  previewAudioUrl: null,
  previewAudioMime: null,
  preferredPreviewId: null,
  previews: [],
  createdAt: NOW,
  updatedAt: NOW,
  version: 1,
};

const meta = { at: '2025-01-15T12:34:56.789Z', requestId: '6f1c2a4e-8b3d-4f7a-9c21-0d5e7b9a3f10', actor: 'token:3fa85f64c2b1' };

const sessionCreatedEvent = {
  position: 41,
  streamId: OTHER_SESSION_ID,
  version: 1,
  type: 'SessionCreated',
  schemaVersion: 2,
  data: newSessionFields,
  meta,
  hash: '9b2f6c1d4e8a7b3c5d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e',
};

const sessionUpdatedEvent = {
  position: 42,
  streamId: SESSION_ID,
  version: 7,
  type: 'SessionUpdated',
  schemaVersion: 1,
  data: { status: 'in-progress' },
  meta: { ...meta, at: '2025-01-15T12:35:02.114Z', requestId: '0b7e3d52-1c9a-4e6f-8d20-5a4b3c2d1e0f' },
  hash: '1c4e7a9b2d5f8031c6e9a2b5d8f1c4e7a0b3d6f9c2e5a8b1d4f7a0c3e6b9d2f5',
};

const note = (id: string, timestamp: number, text: string) => ({ id, timestamp, text, createdAt: CREATED, updatedAt: NOW });

const importSummary = { importId: IMPORT_ID, total: 2, completed: 0, failed: 0, skipped: 0, done: false, durationMs: 0 };

export const examples = {
  health: {
    data: {
      status: 'ok',
      configuredMode: 'full-automation',
      effectiveMode: 'full-automation',
      running: true,
      port: DEFAULT_PORT,
      baseUrl: BASE,
      docsUrl: `http://127.0.0.1:${DEFAULT_PORT}/docs`,
      requestCount: 128,
      recentRequests: [{ method: 'GET', path: '/api/v1/sessions', statusCode: 200, at: NOW }],
      version: '0.1.0',
      log: { position: 42, sessions: 2 },
      projections: { sessions: { position: 42, lag: 0 }, imports: { position: 42, lag: 0 } },
    },
  },
  sessionPage: { data: [session, newSession], meta: { total: 2, limit: 50, offset: 0 } },
  session: { data: session },
  newSession: { data: newSession },
  createSessionBody: { title: 'Summer Anthem', kind: 'Logic Pro', tags: ['pop'], projectPath: '/Users/ana/Music/Summer Anthem.logicx' },
  patchSessionBody: { status: 'in-progress', accent: '#ff8800', tags: ['synthwave', 'client-neon'] },
  deleted: { data: { deleted: true, id: SESSION_ID } },
  notes: { data: { id: SESSION_ID, notes: session.notes } },
  notesBody: { notes: 'Tighten the bridge; bounce stems for review.' },
  tags: { data: { id: SESSION_ID, tags: session.tags } },
  tagsBody: { tags: ['synthwave', 'client-neon'] },
  tagPage: {
    data: [
      { tag: 'synthwave', count: 12 },
      { tag: 'client-neon', count: 5 },
      { tag: 'pop', count: 3 },
    ],
    meta: { total: 3, limit: 200, offset: 0 },
  },
  preview: { data: { id: SESSION_ID, ...previewSummary } },
  previewAttached: {
    data: { id: SESSION_ID, ...previewSummary, previews: [mainMix, { id: 'preview_alt', name: 'Alt mix', path: `${PROJECT}/Bounces/Midnight Drive (alt).wav`, status: 'pending' }] },
  },
  attachPreviewBody: { path: `${PROJECT}/Bounces/Midnight Drive (alt).wav`, name: 'Alt mix', id: 'preview_alt' },
  waveform: {
    data: {
      sessionId: SESSION_ID,
      variantId: 'preview_main',
      durationMs: 215400,
      sampleRate: 44100,
      channels: 2,
      points: 16,
      peaks: [0.12, 0.34, 0.56, 0.71, 0.68, 0.82, 0.91, 0.88, 0.95, 0.79, 0.66, 0.73, 0.84, 0.59, 0.31, 0.08],
    },
  },
  waveformNotes: {
    data: {
      sessionId: SESSION_ID,
      variantId: 'preview_main',
      key: `${SESSION_ID}:preview_main`,
      notes: [note('note_01JHB4A2C3D4E5F6G7H8J9K0MN', 42.5, 'Vocals too loud here'), note('note_01JHB4B7C8D9E0F1G2H3J4K5MP', 96, 'Drop the hi-hats for two bars')],
    },
  },
  waveformNotesBody: {
    notes: [
      { id: 'note_01JHB4A2C3D4E5F6G7H8J9K0MN', timestamp: 42.5, text: 'Vocals too loud here' },
      { timestamp: 96, text: 'Drop the hi-hats for two bars' },
    ],
  },
  importBody: {
    generatePreviews: true,
    items: [
      { projectPath: '/Users/ana/Music/Night Shift/Night Shift.als' },
      { projectPath: '/Users/ana/Music/Glass Hearts.flp', title: 'Glass Hearts (v2)', previewAudioPath: '/Users/ana/Music/Exports/Glass Hearts.mp3' },
    ],
  },
  importAccepted: { data: importSummary },
  importPage: { data: [{ ...importSummary, completed: 1, skipped: 1, done: true, durationMs: 840 }], meta: { total: 1, limit: 50, offset: 0 } },
  importStatus: {
    data: {
      ...importSummary,
      completed: 1,
      skipped: 1,
      done: true,
      durationMs: 840,
      items: [
        { index: 0, projectPath: '/Users/ana/Music/Night Shift/Night Shift.als', outcome: 'created', sessionId: 'session_01JHD2F6A1B2C3D4E5F6G7H8J9' },
        { index: 1, projectPath: '/Users/ana/Music/Glass Hearts.flp', outcome: 'skipped', sessionId: 'session_01JHA9X2Y3Z4A5B6C7D8E9F0G1', reason: 'a session with this projectPath already exists' },
      ],
    },
  },
  opened: { data: { id: SESSION_ID, opened: true, focused: true } },
  focused: { data: { id: SESSION_ID, opened: false, focused: true } },
  eventPage: { data: [sessionCreatedEvent, sessionUpdatedEvent], meta: { limit: 100, next: null, head: 42 } },
  history: { data: [sessionUpdatedEvent], meta: { total: 7, limit: 50, offset: 6 } },
  eventStream:
    `retry: ${RECONNECT_MS}\n: connected\n\n` +
    `id: ${sessionCreatedEvent.position}\nevent: SessionCreated\ndata: ${JSON.stringify(sessionCreatedEvent)}\n\n` +
    ': heartbeat\n\n',
  document: { openapi: '3.1.0', info: { title: 'SessionDock Local API', version: '0.1.0' }, paths: {} },
} as const;
