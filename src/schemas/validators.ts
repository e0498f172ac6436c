import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { version as ajvVersion } from 'ajv/package.json';
import { PROFILE_OPTIONS, type Profile } from './profiles';

/** Where `npm run build` writes the validators it compiled (src/schemas/precompile.ts), one module per profile. */
export const compiledModulePath = (profile: Profile) => join(__dirname, 'compiled', `${profile}.js`);

/**
 * A schema's name among the compiled validators: a hash of the schema, the profile's options and
 * ajv's version, so that a validator compiled for another of them is never used.
 */
export const schemaKey = (profile: Profile, schema: object) =>
  `v${createHash('sha256').update(JSON.stringify([ajvVersion, PROFILE_OPTIONS[profile], schema])).digest('hex').slice(0, 24)}`;

const compiled = new Map<Profile, Record<string, ValidateFunction>>();
const compilers = new Map<Profile, Ajv>();

function compiledFor(profile: Profile): Record<string, ValidateFunction> {
  let validators = compiled.get(profile);
  if (!validators) {
    try {
      validators = require(compiledModulePath(profile)) as Record<string, ValidateFunction>;
    } catch {
      validators = {};
    }
    compiled.set(profile, validators);
  }
  return validators;
}

/**
 * The validator of `schema`: the one compiled at build time, so that starting the server loads no
 * schema compiler (loading ajv and compiling took a quarter of a start). A schema the build did not
 * see (a build without its last step) is compiled here, once.
 */
export function validatorFor<T>(profile: Profile, schema: object): ValidateFunction<T> {
  const key = schemaKey(profile, schema);
  const validators = compiledFor(profile);
  if (!Object.hasOwn(validators, key)) {
    const { compilerFor } = require('./compilers') as typeof import('./compilers');
    let ajv = compilers.get(profile);
    if (!ajv) compilers.set(profile, (ajv = compilerFor(profile)));
    validators[key] = ajv.compile(schema);
  }
  return validators[key] as ValidateFunction<T>;
}

/** ajv's errorsText, without loading ajv: `/path message, /path message`. */
export function errorsText(errors: readonly ErrorObject[] | null | undefined): string {
  return errors?.length ? errors.map((error) => `${error.instancePath} ${error.message}`).join(', ') : 'No errors';
}
