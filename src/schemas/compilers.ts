import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { PROFILE_OPTIONS, type Profile } from './profiles';

/** An ajv instance for `profile`; with `source`, one whose validators can be written out as code. */
export function compilerFor(profile: Profile, source = false): Ajv {
  const ajv = new Ajv({ ...PROFILE_OPTIONS[profile], code: { source } });
  if (profile === 'api') addFormats(ajv, ['date-time', 'uri']);
  return ajv;
}
