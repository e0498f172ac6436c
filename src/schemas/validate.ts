import type { ErrorObject } from 'ajv';
import { ApiError, type FieldProblem } from '../errors';
import { validatorFor } from './validators';
import { patternMessages } from './session';

export interface BodyRules {
  /** Fields the server manages: a body that carries one is told it is read-only. */
  readOnlyFields?: ReadonlySet<string>;
}

/** At most this many problems are listed in an invalid_request's details. */
export const MAX_DETAILS = 20;
/** A field is named in at most this many characters (a key may be a megabyte long). */
export const MAX_FIELD_CHARS = 200;
/**
 * A body with more values than this is described by its first error alone: listing every error of
 * a body with a million unknown keys took seconds and answered tens of megabytes.
 */
export const ALL_ERRORS_UP_TO_VALUES = 2000;
/** The same by the body's size, when it is known: counting the values of a huge object enumerates every key. */
export const ALL_ERRORS_UP_TO_BYTES = 64 * 1024;

/**
 * Compiles a request body schema once; the returned function (given the body and, when known, its
 * size in bytes) throws invalid_request with details. A body is first checked by a validator that
 * stops at the first error; only a body small enough is checked again for every error, and at most
 * MAX_DETAILS of them are listed.
 */
export function compileBody<T>(schema: object, rules: BodyRules = {}): (body: unknown, bytes?: number) => T {
  const firstError = validatorFor<T>('firstError', schema);
  const everyError = validatorFor<T>('api', schema);
  return (body, bytes) => {
    if (firstError(body)) return body;
    const small = bytes === undefined ? hasAtMostValues(body, ALL_ERRORS_UP_TO_VALUES) : bytes <= ALL_ERRORS_UP_TO_BYTES && hasAtMostValues(body, ALL_ERRORS_UP_TO_VALUES);
    const errors = small && !everyError(body) ? everyError.errors : firstError.errors;
    const details = fieldProblems(errors ?? [], rules).slice(0, MAX_DETAILS);
    const first = details[0];
    const message = first.field === '' ? `Request body ${first.message}.` : `${fieldName(first.field)} ${first.message}.`;
    throw new ApiError('invalid_request', message, details);
  };
}

/** Whether `value` holds at most `limit` values (itself, its items and properties, at any depth): stops counting past it. */
export function hasAtMostValues(value: unknown, limit: number): boolean {
  let left = limit;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if ((left -= 1) < 0) return false;
    if (Array.isArray(next)) {
      if (next.length > left) return false;
      pending.push(...next);
    } else if (next !== null && typeof next === 'object') {
      for (const key in next) {
        if (pending.length > left) return false;
        pending.push((next as Record<string, unknown>)[key]);
      }
    }
  }
  return true;
}

/**
 * One problem per field, in the order ajv found them: the first broken rule, or, where the field
 * may take one of several shapes (anyOf), every shape joined with "or".
 */
function fieldProblems(errors: ErrorObject[], rules: BodyRules): FieldProblem[] {
  const byField = new Map<string, string[]>();
  const alternatives = new Set(errors.filter((error) => error.keyword === 'anyOf').map((error) => error.instancePath));
  for (const error of errors) {
    if (error.keyword === 'anyOf') continue;
    const problem = describe(error, rules);
    if (byField.has(problem.field) && !alternatives.has(problem.field)) continue;
    const messages = byField.get(problem.field) ?? [];
    if (!messages.includes(problem.message)) messages.push(problem.message);
    byField.set(problem.field, messages);
  }
  return [...byField].map(([field, messages]) => ({
    field: shortened(field),
    message: messages.map((message, index) => (index === 0 ? message : message.replace(/^must be /, ''))).join(' or '),
  }));
}

function describe(error: ErrorObject, rules: BodyRules): FieldProblem {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { field: `${error.instancePath}/${params.missingProperty}`, message: 'is required' };
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const readOnly = error.instancePath === '' && rules.readOnlyFields?.has(name);
      return { field: `${error.instancePath}/${name}`, message: readOnly ? 'is read-only' : 'is not a known field' };
    }
    case 'minProperties':
      return { field: error.instancePath, message: 'must set at least one field' };
    case 'type':
      return { field: error.instancePath, message: `must be ${article(String(params.type))}` };
    case 'pattern':
      return { field: error.instancePath, message: patternMessages[String(params.pattern)] ?? error.message ?? 'is invalid' };
    default:
      return { field: error.instancePath, message: error.message ?? 'is invalid' };
  }
}

const shortened = (text: string) => (text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text);

const article = (type: string) => (type === 'null' ? 'null' : type === 'object' || type === 'array' || type === 'integer' ? `an ${type}` : `a ${type}`);

/** `/tags/3` → `tags[3]`: how a field is named in a message. */
function fieldName(pointer: string): string {
  return pointer
    .slice(1)
    .split('/')
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : `${index === 0 ? '' : '.'}${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('');
}
