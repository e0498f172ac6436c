import envPaths from 'env-paths';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { MODES, type Mode } from './modes';
import { validatorFor } from './schemas/validators';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  mode: Mode;
  tokenFile: string;
  /** Set only from SESSIONDOCK_TOKEN: it overrides the token file. */
  token?: string;
  allowedOrigins: string[];
  minFreeDiskMb: number;
  probeIntervalMs: number;
  /** What `recent=true` covers: sessions opened in the last this many days. */
  recentDays: number;
  /** How often the live stream sends a heartbeat comment. */
  streamHeartbeatMs: number;
  /** Unsent live-stream bytes after which a client that does not read is dropped. */
  streamMaxBufferedBytes: number;
  /** Live-stream clients connected at once; past it 503 overloaded. */
  streamMaxClients: number;
  /** Unsent live-stream bytes across every client; past it the slowest clients are dropped. */
  streamMaxTotalBufferedBytes: number;
  /** Connections open at once across the listening addresses; null: from the open-file limit. */
  maxConnections: number | null;
  /** New events after which the read models are snapshotted again (also at shutdown). */
  snapshotEveryEvents: number;
  /** Appends waiting for the next group commit beyond which writes are refused with 503 overloaded. */
  maxQueuedWrites: number;
  /** Streams whose versions the log keeps in memory (least recently written forgotten first; read from the log again when needed). */
  cachedStreamVersions: number;
  /** Idempotency keys remembered at most: past it the oldest are forgotten before their 24 hours. */
  maxIdempotencyKeys: number;
  /** How long one preview analysis may run before it is stopped and the file counted undecodable. */
  analysisTimeoutMs: number;
  /** Preview analyses that run at once, each on its own worker thread. */
  analysisWorkers: number;
  /** The JavaScript heap one analysis may use, in MiB. */
  analysisMemoryMb: number;
  /** The most the waveform cache under <data-dir>/waveforms may hold, in MiB (least recently used entries go first). */
  waveformCacheMb: number;
  /** What `POST /sessions/{id}/open` runs: an absolute path or a name on PATH; null: the platform's. */
  opener: string | null;
  dangerouslyListenOnNetwork: boolean;
}

export const DEFAULT_PORT = 18432;
/** `localhost` listens on both loopback addresses, 127.0.0.1 and ::1. */
export const DEFAULT_HOST = 'localhost';

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'port', 'dataDir', 'mode', 'tokenFile', 'allowedOrigins', 'minFreeDiskMb', 'probeIntervalMs', 'recentDays', 'streamHeartbeatMs', 'streamMaxBufferedBytes', 'streamMaxClients', 'streamMaxTotalBufferedBytes', 'maxConnections', 'snapshotEveryEvents', 'maxQueuedWrites', 'cachedStreamVersions', 'maxIdempotencyKeys', 'analysisTimeoutMs', 'analysisWorkers', 'analysisMemoryMb', 'waveformCacheMb', 'opener', 'dangerouslyListenOnNetwork'],
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    dataDir: { type: 'string', minLength: 1 },
    mode: { enum: MODES },
    tokenFile: { type: 'string', minLength: 1 },
    token: { type: 'string', minLength: 16, maxLength: 1024, pattern: '^[\\x21-\\x7e]+$' },
    allowedOrigins: { type: 'array', items: { type: 'string', pattern: '^https?://[^/\\s]+$' } },
    minFreeDiskMb: { type: 'number', minimum: 0 },
    probeIntervalMs: { type: 'integer', minimum: 10, maximum: 3600000 },
    recentDays: { type: 'number', exclusiveMinimum: 0, maximum: 36500 },
    streamHeartbeatMs: { type: 'integer', minimum: 10, maximum: 3600000 },
    streamMaxBufferedBytes: { type: 'integer', minimum: 1024 },
    streamMaxClients: { type: 'integer', minimum: 1, maximum: 100000 },
    streamMaxTotalBufferedBytes: { type: 'integer', minimum: 65536 },
    maxConnections: { type: ['integer', 'null'], minimum: 8 },
    snapshotEveryEvents: { type: 'integer', minimum: 1 },
    maxQueuedWrites: { type: 'integer', minimum: 1 },
    cachedStreamVersions: { type: 'integer', minimum: 1 },
    maxIdempotencyKeys: { type: 'integer', minimum: 1 },
    analysisTimeoutMs: { type: 'integer', minimum: 100, maximum: 86400000 },
    analysisWorkers: { type: 'integer', minimum: 1, maximum: 16 },
    analysisMemoryMb: { type: 'integer', minimum: 16, maximum: 4096 },
    waveformCacheMb: { type: 'number', minimum: 0 },
    opener: { type: ['string', 'null'], minLength: 1 },
    dangerouslyListenOnNetwork: { type: 'boolean' },
  },
} as const;

// Environment variables and flags are strings: the config profile coerces them to the schema's types.
const validateConfig = validatorFor<Config>('config', configSchema);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Layer = Partial<Record<keyof Config, unknown>>;

export interface ConfigSources {
  flags: Layer;
  env: NodeJS.ProcessEnv;
}

const fromEnv = (env: NodeJS.ProcessEnv): Layer =>
  dropUndefined({
    host: env.SESSIONDOCK_HOST,
    port: env.SESSIONDOCK_PORT,
    dataDir: env.SESSIONDOCK_DATA_DIR,
    mode: env.SESSIONDOCK_MODE,
    token: env.SESSIONDOCK_TOKEN,
    opener: env.SESSIONDOCK_OPENER,
  });

export const defaultDataDir = () => envPaths('sessiondock', { suffix: '' }).data;

/**
 * Flags, then SESSIONDOCK_* variables, then <data-dir>/config.json, then defaults. The first layer
 * that sets a value wins; the result is validated as a whole and a bad value is named with the
 * place it came from.
 */
export function loadConfig({ flags, env }: ConfigSources): Config {
  const environment = fromEnv(env);
  const dataDir = resolve(String(flags.dataDir ?? environment.dataDir ?? defaultDataDir()));
  const file = readConfigFile(join(dataDir, 'config.json'));
  const defaults: Layer = {
    host: DEFAULT_HOST,
    port: DEFAULT_PORT,
    mode: 'full-automation',
    tokenFile: join(dataDir, 'token'),
    allowedOrigins: [],
    minFreeDiskMb: 64,
    probeIntervalMs: 2000,
    recentDays: 30,
    streamHeartbeatMs: 15000,
    streamMaxBufferedBytes: 1048576,
    streamMaxClients: 256,
    streamMaxTotalBufferedBytes: 67108864,
    maxConnections: null,
    snapshotEveryEvents: 10000,
    maxQueuedWrites: 1000,
    cachedStreamVersions: 10000,
    maxIdempotencyKeys: 200000,
    analysisTimeoutMs: 120000,
    // One core is left to the event loop: on two cores, one analysis at a time.
    analysisWorkers: Math.max(1, Math.min(2, availableParallelism() - 1)),
    analysisMemoryMb: 256,
    waveformCacheMb: 256,
    opener: null,
    dangerouslyListenOnNetwork: false,
  };
  const layers: Array<[string, Layer]> = [
    ['command line', dropUndefined(flags)],
    ['environment', environment],
    [join(dataDir, 'config.json'), file],
    ['defaults', defaults],
  ];
  const merged: Record<string, unknown> = { dataDir };
  const origin: Record<string, string> = {};
  for (const [name, layer] of [...layers].reverse()) {
    for (const [key, value] of Object.entries(layer)) {
      merged[key] = value;
      origin[key] = name;
    }
  }
  merged.dataDir = dataDir;
  if (!validateConfig(merged)) {
    const error = validateConfig.errors![0];
    const key = error.instancePath.split('/')[1] ?? String((error.params as { additionalProperty?: string }).additionalProperty);
    const where = origin[key] ? ` (from ${origin[key]})` : '';
    const what =
      error.keyword === 'additionalProperties'
        ? 'is not a known setting'
        : error.keyword === 'enum'
          ? `must be one of ${(error.params as { allowedValues: string[] }).allowedValues.join(', ')}`
          : error.message;
    throw new ConfigError(`invalid configuration: ${key}${where} ${what}`);
  }
  return { ...merged, tokenFile: resolve(merged.tokenFile) } as Config;
}

function readConfigFile(path: string): Layer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`invalid configuration: ${path} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`invalid configuration: ${path} must hold a JSON object`);
  }
  for (const key of ['dataDir', 'token']) {
    if (key in parsed) throw new ConfigError(`invalid configuration: ${key} cannot be set in ${path}`);
  }
  return parsed as Layer;
}

function dropUndefined(layer: Layer): Layer {
  return Object.fromEntries(Object.entries(layer).filter(([, value]) => value !== undefined && value !== ''));
}
