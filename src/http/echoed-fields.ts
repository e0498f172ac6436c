import stringify from 'safe-stable-stringify';
import { ApiError, type FieldProblem } from '../errors';

/** The resource as its GET renders it: what a read-modify-write client sends back. */
export type CurrentView = Record<string, unknown>;

const jsonEqual = (a: unknown, b: unknown) => stringify(a) === stringify(b);

/**
 * A body without the fields it echoes unchanged from the resource (contract §5.1): a client that
 * GETs, edits and sends the whole object back writes what it edited. Each of `echoable` the body
 * carries is compared with the resource as its GET renders it now (JSON-equal, key order aside):
 * equal, it is dropped; changed and `readOnly`, the body is refused, naming every such field,
 * `version` first (it says why the others differ); changed and writable, it stays for the schema.
 * `current` is asked only when the body carries one of them.
 */
export function withoutEchoedFields(body: unknown, echoable: ReadonlySet<string>, readOnly: ReadonlySet<string>, current: () => CurrentView): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const echoed = Object.keys(body).filter((field) => echoable.has(field));
  if (echoed.length === 0) return body;
  const view = current();
  const fields = body as Record<string, unknown>;
  const unchanged = new Set(echoed.filter((field) => jsonEqual(fields[field], view[field])));
  const refused = echoed.filter((field) => !unchanged.has(field) && readOnly.has(field)).sort((a, b) => Number(b === 'version') - Number(a === 'version'));
  if (refused.length > 0) throw readOnlyChange(refused, fields, view);
  return Object.fromEntries(Object.entries(fields).filter(([field]) => !unchanged.has(field)));
}

function readOnlyChange(changed: readonly string[], body: Record<string, unknown>, view: CurrentView): ApiError {
  const details: FieldProblem[] = changed.map((field) => ({
    field: `/${field}`,
    message: field === 'version' ? `is read-only: the session is at version ${view.version}` : 'is read-only',
  }));
  const [first] = changed;
  const sent = typeof body.version === 'number' ? ` the body says ${body.version} but` : '';
  const message =
    first === 'version'
      ? `version is read-only:${sent} the session is at version ${view.version}, so it has changed since it was read. Read it again and apply your change to what it is now.`
      : `${first} is read-only.`;
  return new ApiError('invalid_request', message, details);
}
