import { currentSchemaVersion, upcast } from '../../events/catalogue';
import type { StoredEvent } from '../../events/envelope';
import type { Config } from '../config';
import { recordsOf, type LevelBackend } from '../store';
import { withLog } from './log-access';
import { Output } from './output';

export interface EventsOptions {
  after?: string;
  session?: string;
  type?: string[];
  json?: boolean;
}

/**
 * `sessiondock events`: the log (upcast, as the API shows it) as a table or, with --json, NDJSON.
 * The log is read as a stream, so a large one is never held in memory.
 */
export async function eventsCommand(config: Config, options: EventsOptions): Promise<number> {
  if (options.after !== undefined && !/^\d+$/.test(options.after)) return usage(`--after must be a log position (a whole number), not ${JSON.stringify(options.after)}`);
  const unknown = options.type?.find((type) => currentSchemaVersion(type) === undefined);
  if (unknown !== undefined) return usage(`--type ${JSON.stringify(unknown)} is not an event type`);
  const after = Number(options.after ?? 0);
  const types = options.type?.length ? new Set(options.type) : null;

  return withLog(config, async (backend) => {
    const { head } = await backend.load();
    const output = new Output(process.stdout);
    const row: (event: StoredEvent | null) => string = options.json ? (event) => `${JSON.stringify(event)}\n` : tableRow(String(head.position).length);
    if (!options.json) await output.write(row(null));
    for await (const event of read(backend, after, options.session)) {
      if (types === null || types.has(event.type)) await output.write(row(upcast(event)));
    }
    await output.end();
    return 0;
  });
}

async function* read(backend: LevelBackend, after: number, session: string | undefined): AsyncIterable<StoredEvent> {
  if (session !== undefined) {
    const [version] = await backend.streamVersions([session]);
    for (const event of await backend.readStream(session, 1, version)) if (event.position > after) yield event;
    return;
  }
  for await (const record of recordsOf(backend, after)) yield JSON.parse(record) as StoredEvent;
}

/** One line of the table (the header for null); columns are fixed-width, as rows are printed as they are read. */
function tableRow(positionWidth: number) {
  const width = { position: Math.max(positionWidth, 8), time: 24, type: 20, stream: 40, actor: 18 };
  const line = (cells: [string, string, string, string, string, string]) =>
    [cells[0].padStart(width.position), cells[1].padEnd(width.time), cells[2].padEnd(width.type), cells[3].padEnd(width.stream), cells[4].padEnd(width.actor), cells[5]]
      .join('  ')
      .trimEnd() + '\n';
  return (event: StoredEvent | null) =>
    event === null
      ? line(['POSITION', 'TIME', 'TYPE', 'STREAM', 'ACTOR', 'DATA'])
      : line([String(event.position), event.meta.at, event.type, `${event.streamId} v${event.version}`, event.meta.actor, summary(event.data)]);
}

/** The data's fields as key=value, long values and the whole line cut short. */
export function summary(data: Record<string, unknown>): string {
  const text = Object.entries(data)
    .map(([key, value]) => `${key}=${clip(JSON.stringify(value), 40)}`)
    .join(' ');
  return clip(text, 100);
}

const clip = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);

function usage(message: string): number {
  process.stderr.write(`sessiondock: ${message}\n`);
  return 2;
}
