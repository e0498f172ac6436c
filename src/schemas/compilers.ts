import Ajv, { type Options } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * The two ways schemas are compiled. `api`, requests and events: every error listed, so that an
 * invalid_request can name every bad field. `config`: the strings of flags and environment
 * variables coerced to the schema's types.
 */
const OPTIONS = {
  api: { allErrors: true, strict: true, strictRequired: false },
  config: { coerceTypes: 'array', allErrors: false },
} satisfies Record<string, Options>;

export type Profile = keyof typeof OPTIONS;
export const PROFILES = Object.keys(OPTIONS) as Profile[];

/** An ajv instance for `profile`; with `source`, one whose validators can be written out as code. */
export function compilerFor(profile: Profile, source = false): Ajv {
  const ajv = new Ajv({ ...OPTIONS[profile], code: { source } });
  if (profile === 'api') addFormats(ajv, ['date-time', 'uri']);
  return ajv;
}
