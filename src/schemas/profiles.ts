import type { Options } from 'ajv';

/**
 * The ways schemas are compiled. `api`, requests and events: every error listed, so that an
 * invalid_request can name every bad field. `firstError`, request bodies: stops at the first
 * error, so a body with a million bad keys costs one. `config`: the strings of flags and
 * environment variables coerced to the schema's types.
 */
export const PROFILE_OPTIONS = {
  api: { allErrors: true, strict: true, strictRequired: false },
  firstError: { allErrors: false, strict: true, strictRequired: false },
  config: { coerceTypes: 'array', allErrors: false },
} satisfies Record<string, Options>;

export type Profile = keyof typeof PROFILE_OPTIONS;
export const PROFILES = Object.keys(PROFILE_OPTIONS) as Profile[];
