import type { ErrorObject } from 'ajv';
import { ApiError, type FieldProblem } from '../errors';
import { describe, type MessageRules } from './messages';
import { validatorFor } from './validators';

export type BodyRules = MessageRules;

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
    const details = fieldProblems(errors ?? [], schema, rules).slice(0, MAX_DETAILS);
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
 * may take one of several shapes (anyOf), each shape it missed joined with "or". A shape whose type
 * the value does not even have is left out when another shape has the right type: a string too
 * long for `client` is told the length, not that it could also be null.
 */
function fieldProblems(errors: ErrorObject[], schema: object, rules: BodyRules): FieldProblem[] {
  const choices = errors.filter((error) => error.keyword === 'anyOf');
  const underChoice = (error: ErrorObject, choice: ErrorObject) => error.schemaPath.startsWith(`${choice.schemaPath}/`);
  const wrongShape = (error: ErrorObject, choice: ErrorObject) => error.keyword === 'type' && error.instancePath === choice.instancePath;
  const irrelevant = new Set<ErrorObject>();
  for (const choice of choices) {
    const under = errors.filter((error) => underChoice(error, choice));
    if (under.some((error) => !wrongShape(error, choice))) under.filter((error) => wrongShape(error, choice)).forEach((error) => irrelevant.add(error));
  }
  const alternatives = new Set(choices.map((error) => error.instancePath));
  const byField = new Map<string, string[]>();
  for (const error of errors) {
    if (error.keyword === 'anyOf' || irrelevant.has(error)) continue;
    const problem = describe(error, schema, rules);
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

const shortened = (text: string) => (text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text);

/** `/tags/3` → `tags[3]`: how a field is named in a message. */
function fieldName(pointer: string): string {
  return pointer
    .slice(1)
    .split('/')
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : `${index === 0 ? '' : '.'}${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('');
}
