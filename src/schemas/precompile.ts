import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import standaloneCode from 'ajv/dist/standalone';
import { eventSchemas } from '../../events/catalogue';
import { describedRoutes } from '../cli/openapi';
import { configSchema } from '../config';
import { compilerFor } from './compilers';
import { PROFILES, type Profile } from './profiles';
import { compiledModulePath, schemaKey } from './validators';

/**
 * The last step of `npm run build`: every schema the server validates with (request bodies, events
 * and their meta, the configuration), compiled into standalone modules that `validatorFor` loads.
 */
const bodySchemas = describedRoutes().flatMap((route) => (route.body ? [route.body.schema] : []));
const schemas: Record<Profile, object[]> = {
  api: [...bodySchemas, ...eventSchemas()],
  firstError: bodySchemas,
  config: [configSchema],
};

for (const profile of PROFILES) {
  const ajv = compilerFor(profile, true);
  const keys = new Set<string>();
  for (const schema of schemas[profile]) {
    const key = schemaKey(profile, schema);
    if (!keys.has(key)) ajv.addSchema(schema, key);
    keys.add(key);
  }
  const path = compiledModulePath(profile);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, standaloneCode(ajv, Object.fromEntries([...keys].map((key) => [key, key]))));
  process.stdout.write(`compiled ${keys.size} ${profile} schema(s) into ${path}\n`);
}
