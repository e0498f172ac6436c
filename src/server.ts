import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { ProjectionRunner } from '../projections/runner';
import { createReadModels } from '../projections/read-models';
import { SnapshotFiles } from '../projections/snapshots';
import { version } from '../package.json';
import type { Config } from './config';
import { createApp } from './http/app';
import { KeyedQueue } from './keyed-queue';
import { Waveforms } from './audio/waveforms';
import type { AnalysisBacklogLimits } from './analysis-backlog';
import { PreviewAnalysis } from './preview-analysis';
import { ImportRunner } from './import/runner';
import { RequestLog } from './http/request-log';
import { StreamClients } from './http/stream-clients';
import type { Services } from './http/services';
import { closeAll, hostsFor, listenAll } from './listen';
import { ConnectionGuard, type ConnectionStats } from './connection-guard';
import { defaultMaxConnections, readSoftOpenFileLimit } from './open-file-limit';
import type { StreamStats } from './http/stream-clients';
import { stderrLogger, type Logger } from './log';
import { allows, ModeState } from './modes';
import { EventLog, LevelBackend, type EventStore, type LogBackend } from './store';
import { ensureTokenFile, TokenCheck } from './token';
import { prepareDataDirectory } from './files/data-dir';
import { acquireDataDirLock } from './files/data-dir-lock';
import { protectPath } from './files/usable-path';
import { SignIn, type SignInOptions } from './http/sign-in';
import { BuiltFiles, DEFAULT_UI_DIRECTORY } from './http/web-app/built-files';

export interface ServerOptions {
  logger?: Logger;
  /** The log's storage engine; LevelDB under <data-dir>/log unless given (tests inject failures here). */
  backend?: LogBackend;
  /** How background analyses are fed to the analysis pool; the defaults unless a test narrows them. */
  analysisBacklog?: AnalysisBacklogLimits;
  /** The built web app served at /app/; <repo>/dist/ui unless given. */
  uiDirectory?: string;
  /** The sign-in's bounds, narrowed by tests. */
  signIn?: Pick<SignInOptions, 'maxRedeemedCodes' | 'maxTokenAttemptsPerMinute'>;
  /** The clock every write reads (tests fix it to pin timestamps); the system clock unless given. */
  now?: () => Date;
}

export interface RunningServer {
  projections: ProjectionRunner;
  port: number;
  origin: string;
  baseUrl: string;
  hosts: string[];
  /** Where the token is: the file, or the environment when SESSIONDOCK_TOKEN is set. */
  tokenSource: string;
  tokenCreated: boolean;
  /** Whether the web app was found built (else /app/ answers how to build it). */
  uiBuilt: boolean;
  /** A fresh one-time sign-in link to the web app, at a session when one is given. */
  loginLink(sessionId?: string): string;
  store: EventStore;
  requestsInFlight(): number;
  /** The live-stream clients and the bytes they hold (tests and diagnostics). */
  streamStats(): StreamStats;
  /** The connections open against the cap. */
  connectionStats(): ConnectionStats;
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 10_000;

export const logDirectory = (dataDir: string) => join(dataDir, 'log');
export const snapshotDirectory = (dataDir: string) => join(dataDir, 'snapshots');
export const waveformDirectory = (dataDir: string) => join(dataDir, 'waveforms');

const SNAPSHOT_CHECK_MS = 30_000;

/**
 * Saves the read models every `events` new events (checked off the request path), so a crash
 * replays only a tail. `replayed`: events the start-up applied beyond its snapshots; when that is
 * already `events` or more, the first check (just after start-up) saves, and a crash soon after a
 * long replay does not pay for it again.
 */
function snapshotEvery(store: EventStore, events: number, replayed: number, save: () => Promise<void>): { stop(): void } {
  let savedAt = store.head().position - replayed;
  const check = () => {
    const head = store.head().position;
    if (head - savedAt < events) return;
    savedAt = head;
    void save();
  };
  const first = setTimeout(check, 0);
  const timer = setInterval(check, SNAPSHOT_CHECK_MS);
  first.unref();
  timer.unref();
  return {
    stop: () => {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}

/**
 * Takes the data directory for this process before the log opens (LevelDB's own lock is undone
 * by any stray close of its file), and keeps every request away from its files and the token file.
 */
function holdDataDirectory(config: Config): { stop(): void } {
  const unprotect = [protectPath(config.dataDir), ...(config.token ? [] : [protectPath(config.tokenFile)])];
  const releaseAll = () => unprotect.forEach((release) => release());
  try {
    const lock = acquireDataDirLock(config.dataDir, 'sessiondock serve');
    return {
      stop: () => {
        releaseAll();
        lock.release();
      },
    };
  } catch (error) {
    releaseAll();
    throw error;
  }
}

/** Opens the log, replays it into the read models, and serves the API on loopback. */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? stderrLogger;
  const startedAt = Date.now();
  const hosts = hostsFor(config.host, config.dangerouslyListenOnNetwork);
  const tightenedFrom = prepareDataDirectory(config.dataDir);
  if (tightenedFrom) logger.log('warn', 'the data directory was open to other users: its mode is now 0700', { dataDir: config.dataDir, mode: tightenedFrom });
  const token = config.token ? { token: config.token, created: false } : ensureTokenFile(config.tokenFile);
  const held = holdDataDirectory(config);
  let store: EventStore;
  try {
    store = await EventLog.open(options.backend ?? new LevelBackend(logDirectory(config.dataDir)), { maxQueuedAppends: config.maxQueuedWrites, maxCachedStreamVersions: config.cachedStreamVersions });
  } catch (error) {
    held.stop();
    throw error;
  }
  // What has been started, stopped in reverse order on shutdown or when a later step fails.
  const started: Array<{ stop(): void | Promise<void> }> = [held, { stop: () => store.close() }];
  // Every part is stopped even when one before it fails (the log must close and the lock go);
  // the first failure is logged with the rest and then reported to the caller.
  const stopAll = async () => {
    let firstFailure: unknown;
    for (const part of [...started].reverse()) {
      try {
        await part.stop();
      } catch (error) {
        logger.log('error', 'a part of the server did not stop cleanly', { error: (error as Error).message });
        firstFailure ??= error;
      }
    }
    if (firstFailure !== undefined) throw firstFailure;
  };

  try {
    const tokens = new TokenCheck(config.token ? { token: config.token } : { file: config.tokenFile }, (problem) =>
      logger.log('warn', 'the rotated token file is refused; the previous token stays valid', { problem }),
    );
    tokens.watch();
    started.push(tokens);
    const { sessions, idempotency, waveformNotes, imports, all } = createReadModels({ maxIdempotencyKeys: config.maxIdempotencyKeys });
    const snapshots = new SnapshotFiles(snapshotDirectory(config.dataDir));
    const projections = new ProjectionRunner(store, all, { snapshots });
    const saveSnapshots = () =>
      projections.saveSnapshots().catch((error: Error) => logger.log('warn', 'read-model snapshot not saved', { error: error.message }));
    // At shutdown, once no request can write any more: the next start loads this and replays nothing.
    started.push({
      stop: async () => {
        await saveSnapshots();
        projections.stop();
      },
    });
    await projections.start();
    // What earlier builds left (models no longer kept, older formats) and saves a crash cut short.
    await snapshots.prune(all.map((projection) => projection.name)).catch((error: Error) => logger.log('warn', 'old snapshot files not removed', { error: error.message }));
    started.push(snapshotEvery(store, config.snapshotEveryEvents, Math.max(0, ...Object.values(projections.appliedSinceStart())), saveSnapshots));
    const modes = new ModeState({
      configured: config.mode,
      store,
      dataDir: config.dataDir,
      minFreeDiskBytes: config.minFreeDiskMb * 1024 * 1024,
      probeIntervalMs: config.probeIntervalMs,
    });
    started.push(modes);
    await modes.start();

    let listening: { port: number; origin: string } = { port: config.port, origin: '' };
    const now = options.now ?? (() => new Date());
    const sessionCommands = new KeyedQueue();
    const waveforms = new Waveforms(waveformDirectory(config.dataDir), {
      timeoutMs: config.analysisTimeoutMs,
      workers: config.analysisWorkers,
      memoryMb: config.analysisMemoryMb,
      cacheMaxBytes: config.waveformCacheMb * 1024 * 1024,
    });
    started.push(waveforms);
    const previewAnalysis = new PreviewAnalysis({ store, projections, modes, sessions, sessionCommands, waveforms, logger, now }, options.analysisBacklog);
    started.push(previewAnalysis);
    const importRunner = new ImportRunner({ store, projections, modes, imports, sessions, previewAnalysis, logger, now });
    started.push(importRunner);
    const signIn = new SignIn(tokens, { now: () => Date.now(), startedAt, ...options.signIn });
    const uiFiles = BuiltFiles.scan(options.uiDirectory ?? DEFAULT_UI_DIRECTORY);
    const services: Services = {
      store,
      projections,
      sessions,
      idempotency,
      waveformNotes,
      waveforms,
      previewAnalysis,
      imports,
      importRunner,
      keyedRequests: new KeyedQueue(),
      sessionCommands,
      modes,
      recentDays: config.recentDays,
      opener: config.opener,
      logger,
      streamClients: new StreamClients(store, { maxClients: config.streamMaxClients, maxTotalBufferedBytes: config.streamMaxTotalBufferedBytes }),
      requests: new RequestLog(),
      signIn,
      version,
      port: () => listening.port,
      origin: () => listening.origin,
      now,
    };
    if (allows(modes.effective(), 'full-automation')) importRunner.resumeUnfinished();
    const app = createApp({
      services,
      stream: { heartbeatMs: config.streamHeartbeatMs, maxBufferedBytes: config.streamMaxBufferedBytes },
      tokens,
      logger,
      allowedOrigins: config.allowedOrigins,
      extraHost: config.dangerouslyListenOnNetwork ? config.host : undefined,
      uiFiles,
    });
    const connections = new ConnectionGuard(config.maxConnections ?? defaultMaxConnections(readSoftOpenFileLimit()));
    const bound = await listenAll(hosts, config.port, app.callback(), (server) => configureServer(server, connections));
    listening = bound;
    // Analyses are ended while the listeners close: a request waiting on one is answered at once.
    started.push({ stop: async () => void (await Promise.all([closeAll(bound.servers, SHUTDOWN_GRACE_MS), waveforms.stop()])) });
    // Live-stream clients never finish on their own: they are closed first, and resume later.
    started.push({ stop: () => services.streamClients.closeAll() });

    let closing: Promise<void> | null = null;
    // Once serving, every stream's version is read in the background: appends to new streams then
    // read nothing before their batch.
    store.learnAllVersions().catch((error: Error) => logger.log('warn', 'stream versions not read in advance', { error: error.message }));
    // Once serving: the sessions a snapshot restored are parsed in the background, then the
    // analyses a stop interrupted (their variants are still pending) are started again.
    projections
      .parseRestored()
      .then(() => {
        if (!closing) previewAnalysis.startAllPending();
      })
      .catch((error: Error) => logger.log('error', 'restored read models not parsed', { error: error.message }));
    return {
      port: bound.port,
      origin: bound.origin,
      baseUrl: `${bound.origin}/api/v1`,
      hosts: bound.hosts,
      tokenSource: config.token ? 'the SESSIONDOCK_TOKEN environment variable' : config.tokenFile,
      tokenCreated: token.created,
      uiBuilt: uiFiles !== null,
      loginLink: (sessionId) => signIn.loginLink(bound.origin, sessionId ?? null),
      store,
      projections,
      requestsInFlight: () => services.requests.requestsInFlight(),
      streamStats: () => services.streamClients.stats(),
      connectionStats: () => connections.stats(),
      close: () => (closing ??= stopAll()),
    };
  } catch (error) {
    // What start-up failed on is the error to report; a failure while undoing it is only logged.
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/**
 * Timeouts that close slow clients, the cap on open connections, and the envelope for requests
 * Node rejects before Koa sees them.
 */
function configureServer(server: Server, connections: ConnectionGuard): void {
  connections.attach(server);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return void socket.destroy();
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      error: tooLarge
        ? { status: 413, code: 'payload_too_large', message: 'Request headers are too large.' }
        : { status: 400, code: 'invalid_request', message: 'The request is not valid HTTP.', details: [{ field: '', message: 'is not valid HTTP/1.1' }] },
    });
    const status = tooLarge ? '413 Payload Too Large' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
