import type { ValidateFunction } from 'ajv';
import { ajv } from '../src/schemas/ajv';
import { eventMetaSchema, type EventMeta } from './envelope';
import { sessionEvents } from './sessions';

interface EventDefinition {
  type: string;
  schemaVersion: number;
  schema: object;
}

/** Every event type the log accepts, with its current schema version and compiled validator. */
const definitions: readonly EventDefinition[] = [...sessionEvents];

const validators = new Map<string, { schemaVersion: number; validate: ValidateFunction }>(
  definitions.map((definition) => [definition.type, { schemaVersion: definition.schemaVersion, validate: ajv.compile(definition.schema) }]),
);
const validateMeta = ajv.compile<EventMeta>(eventMetaSchema);

export function currentSchemaVersion(type: string): number | undefined {
  return validators.get(type)?.schemaVersion;
}

/** Why an event cannot be stored, or null when it can. */
export function eventProblem(type: string, schemaVersion: number, data: unknown): string | null {
  const known = validators.get(type);
  if (!known) return `unknown event type ${JSON.stringify(type)}`;
  if (schemaVersion !== known.schemaVersion) return `${type} is at schema version ${known.schemaVersion}, not ${schemaVersion}`;
  if (!known.validate(data)) return `${type} data ${ajv.errorsText(known.validate.errors, { dataVar: '' })}`;
  return null;
}

export function metaProblem(meta: unknown): string | null {
  return validateMeta(meta) ? null : `event meta ${ajv.errorsText(validateMeta.errors, { dataVar: '' })}`;
}
