import type { ValidateFunction } from 'ajv';
import { errorsText, validatorFor } from '../src/schemas/validators';
import { eventMetaSchema, type EventMeta, type StoredEvent } from './envelope';
import { importEvents } from './imports';
import { previewEvents } from './previews';
import { sessionEvents } from './sessions';
import { WaveformNotesReplaced } from './waveform-notes';

type Data = Record<string, unknown>;

interface EventDefinition {
  type: string;
  schemaVersion: number;
  schema: object;
  /** Earlier versions, oldest first, each with how to read its data as the next version. */
  previous?: ReadonlyArray<{ schemaVersion: number; schema: object; upcast(data: Data): Data }>;
}

interface KnownVersion {
  schema: object;
  /** Its validator (compiled at build time), found on first use. */
  validate?: ValidateFunction;
  /** To the next version; absent on the current one. */
  upcast?: (data: Data) => Data;
}

/** Every event type the log accepts, each version's compiled validator, and the upcasters between them. */
const definitions: readonly EventDefinition[] = [...sessionEvents, ...previewEvents, WaveformNotesReplaced, ...importEvents];

/** Every event type with its current data schema, in catalogue order: what the OpenAPI document shows. */
export const currentEventSchemas: ReadonlyArray<{ type: string; schema: object }> = definitions;

const current = new Map(definitions.map((definition) => [definition.type, definition.schemaVersion]));
const versions = new Map<string, KnownVersion>(
  definitions.flatMap((definition) => [
    [`${definition.type}@${definition.schemaVersion}`, { schema: definition.schema }] as const,
    ...(definition.previous ?? []).map((old) => [`${definition.type}@${old.schemaVersion}`, { schema: old.schema, upcast: old.upcast }] as const),
  ]),
);
const validateMeta = validatorFor<EventMeta>('api', eventMetaSchema);

/** Every schema an event or its meta is checked against, at every version: what the build compiles. */
export const eventSchemas = (): object[] => [eventMetaSchema, ...[...versions.values()].map((known) => known.schema)];

export function currentSchemaVersion(type: string): number | undefined {
  return current.get(type);
}

/** Why an event's data does not fit its type at that schema version, or null when it does. */
export function eventProblem(type: string, schemaVersion: number, data: unknown): string | null {
  if (!current.has(type)) return `unknown event type ${JSON.stringify(type)}`;
  const known = versions.get(`${type}@${schemaVersion}`);
  if (!known) return `${type} has no schema version ${schemaVersion}`;
  const validate = (known.validate ??= validatorFor('api', known.schema));
  if (!validate(data)) return `${type} v${schemaVersion} data ${errorsText(validate.errors)}`;
  return null;
}

export function metaProblem(meta: unknown): string | null {
  return validateMeta(meta) ? null : `event meta ${errorsText(validateMeta.errors)}`;
}

/** An event read as its type's current schema version: old events are upcast when read, never rewritten. */
export function upcast(event: StoredEvent): StoredEvent {
  const target = current.get(event.type);
  if (target === undefined || event.schemaVersion === target) return event;
  let { data, schemaVersion } = event;
  while (schemaVersion < target) {
    data = versions.get(`${event.type}@${schemaVersion}`)!.upcast!(data);
    schemaVersion += 1;
  }
  return { ...event, data, schemaVersion };
}
