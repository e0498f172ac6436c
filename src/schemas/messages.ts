import type { ErrorObject } from 'ajv';
import type { FieldProblem } from '../errors';
import { patternMessages } from './session';

/*
 * What a client is told when a body breaks a rule of its schema: one phrase per keyword, built from
 * the rule's own numbers (the schema the route validates with), never from ajv's wording. A phrase
 * is the predicate of a sentence whose subject is the field: "must be 1-200 characters long".
 */

export interface MessageRules {
  /** Fields the server manages: a body that carries one is told it is read-only. */
  readOnlyFields?: ReadonlySet<string>;
}

/** The keywords a message is written for: a request schema may use these and no other rule. */
export const DESCRIBED_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'pattern',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'enum',
  'const',
  'format',
  'anyOf',
]);

/**
 * Keywords that hold other schemas or only annotate: they never fail on their own (ajv reports a
 * failed allOf as the failures of its parts, each worded above).
 */
export const SILENT_KEYWORDS: ReadonlySet<string> = new Set(['properties', 'items', 'allOf', 'description', 'title', 'readOnly', 'examples', 'default', '$comment']);

/** What a number counts, for a number rule registered here (`a number of seconds from 0 to 86400`). */
const numberUnits = new WeakMap<object, string>();

/** `schema`, its numbers read as `unit` in messages. */
export function measuredIn<const S extends object>(unit: string, schema: S): S {
  numberUnits.set(schema, unit);
  return schema;
}

const FORMATS: Record<string, string> = {
  'date-time': 'must be a date and time such as 2025-01-15T12:34:56Z',
  uri: 'must be a URL',
};

type Schema = Record<string, unknown>;

/** The schema object that holds the keyword `error` broke, found by its schema path in `root`. */
function ruleOf(root: object, error: ErrorObject): Schema {
  let node: unknown = root;
  const steps = error.schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1);
  for (const step of steps) {
    if (step === '' || node === null || typeof node !== 'object') break;
    node = (node as Record<string, unknown>)[step.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node !== null && typeof node === 'object' ? (node as Schema) : {};
}

const plural = (count: number, noun: string) => (count === 1 ? noun.replace(/s$/, '') : noun);

/** "1-32 characters long", "at most 4096 characters long"; undefined when the rule sets no length. */
function lengthOf(rule: Schema): string | undefined {
  const min = rule.minLength as number | undefined;
  const max = rule.maxLength as number | undefined;
  if (min !== undefined && max !== undefined) return `${min}-${max} characters long`;
  if (max !== undefined) return `at most ${max} characters long`;
  if (min !== undefined) return `at least ${min} ${plural(min, 'characters')} long`;
  return undefined;
}

/** A string's whole rule (its pattern and its length), whichever part of it broke. */
function stringRule(rule: Schema): string {
  const length = lengthOf(rule);
  const pattern = rule.pattern === undefined ? undefined : (patternMessages[String(rule.pattern)] ?? 'is not in the expected form');
  if (pattern === undefined) return rule.minLength === 1 && rule.maxLength === undefined ? 'must not be empty' : `must be ${length}`;
  if (length === undefined) return pattern;
  return pattern.startsWith('must be ') ? `${pattern} and ${length}` : `${pattern} and must be ${length}`;
}

/** "a number of seconds from 0 to 86400", "an integer of 1 or more". */
function numberRule(rule: Schema): string {
  const unit = numberUnits.get(rule);
  const noun = rule.type === 'integer' ? 'an integer' : unit === undefined ? 'a number' : `a number of ${unit}`;
  const low = rule.minimum ?? rule.exclusiveMinimum;
  const high = rule.maximum ?? rule.exclusiveMaximum;
  const lowWord = rule.minimum === undefined ? `greater than ${low}` : `${low} or more`;
  const highWord = rule.maximum === undefined ? `less than ${high}` : `${high} or less`;
  if (low !== undefined && high !== undefined) {
    return rule.minimum !== undefined && rule.maximum !== undefined ? `must be ${noun} from ${low} to ${high}` : `must be ${noun} ${lowWord} and ${highWord}`;
  }
  if (low !== undefined) return `must be ${noun} ${rule.minimum === undefined ? lowWord : `of ${lowWord}`}`;
  return `must be ${noun} ${rule.maximum === undefined ? highWord : `of ${highWord}`}`;
}

/** "may hold at most 64 tags", "must hold 1-10000 items": the things held named after the field. */
function listRule(rule: Schema, field: string): string {
  const noun = /[A-Za-z]+$/.exec(field)?.[0] ?? 'items';
  const min = rule.minItems as number | undefined;
  const max = rule.maxItems as number | undefined;
  if (min !== undefined && max !== undefined) return `must hold ${min}-${max} ${noun}`;
  if (max !== undefined) return `may hold at most ${max} ${plural(max, noun)}`;
  return `must hold at least ${min} ${plural(min ?? 0, noun)}`;
}

/** "must set at least one field". */
function fieldCountRule(rule: Schema): string {
  const count = (name: 'minProperties' | 'maxProperties') => {
    const value = rule[name] as number;
    return value === 1 ? 'one field' : `${value} fields`;
  };
  return rule.minProperties !== undefined ? `must set at least ${count('minProperties')}` : `may set at most ${count('maxProperties')}`;
}

const TYPES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The field a problem is about (a JSON pointer) and the predicate of its message. */
export function describe(error: ErrorObject, root: object, rules: MessageRules = {}): FieldProblem {
  const params = error.params as Record<string, unknown>;
  const field = error.instancePath;
  const rule = ruleOf(root, error);
  switch (error.keyword) {
    case 'required':
      return { field: `${field}/${params.missingProperty}`, message: 'is required' };
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const readOnly = field === '' && rules.readOnlyFields?.has(name);
      return { field: `${field}/${name}`, message: readOnly ? 'is read-only' : 'is not a known field' };
    }
    case 'minProperties':
    case 'maxProperties':
      return { field, message: fieldCountRule(rule) };
    case 'type':
      return { field, message: `must be ${String(params.type).split(',').map((type) => TYPES[type] ?? `a ${type}`).join(' or ')}` };
    case 'pattern':
    case 'minLength':
    case 'maxLength':
      return { field, message: stringRule(rule) };
    case 'minItems':
    case 'maxItems':
      return { field, message: listRule(rule, field) };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { field, message: numberRule(rule) };
    case 'enum':
      return { field, message: `must be one of: ${(rule.enum as unknown[]).map(shown).join(', ')}` };
    case 'const':
      return { field, message: `must be ${shown(rule.const)}` };
    case 'format':
      return { field, message: FORMATS[String(params.format)] ?? `must be in the ${params.format} format` };
    default:
      return { field, message: 'is invalid' };
  }
}
