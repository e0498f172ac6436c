import assert from 'node:assert/strict';
import { eventSchemas } from '../../events/catalogue';
import { describedRoutes } from '../../src/cli/openapi';
import { configSchema } from '../../src/config';
import { compilerFor } from '../../src/schemas/compilers';
import { compiledModulePath, errorsText, schemaKey, validatorFor } from '../../src/schemas/validators';

describe('validators compiled at build time', () => {
  const compiled = (profile: 'api' | 'config') => require(compiledModulePath(profile)) as Record<string, unknown>;

  it('the build compiled every schema the server validates with: request bodies, events at every version, their meta, the configuration', () => {
    const bodies = describedRoutes().flatMap((route) => (route.body ? [route.body.schema] : []));
    assert.ok(bodies.length >= 8, `only ${bodies.length} request body schemas found`);
    for (const schema of [...bodies, ...eventSchemas()]) {
      assert.equal(typeof compiled('api')[schemaKey('api', schema)], 'function', JSON.stringify(schema).slice(0, 120));
      assert.equal(validatorFor('api', schema), compiled('api')[schemaKey('api', schema)]);
    }
    assert.equal(validatorFor('config', configSchema), compiled('config')[schemaKey('config', configSchema)]);
  });

  it('names a schema by its content and its profile: an edited schema, or one compiled another way, never finds that validator', () => {
    const schema = { type: 'object', properties: { title: { type: 'string' } } };
    assert.equal(schemaKey('api', schema), schemaKey('api', JSON.parse(JSON.stringify(schema))));
    assert.notEqual(schemaKey('api', schema), schemaKey('api', { ...schema, required: ['title'] }));
    assert.notEqual(schemaKey('api', schema), schemaKey('config', schema));
  });

  it('compiles, once, a schema the build did not see, with the same rules (every error listed; the config profile coerces)', () => {
    const schema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string', format: 'date-time' } }, required: ['a'], additionalProperties: false };
    const validate = validatorFor('api', schema);
    assert.equal(validatorFor('api', schema), validate);
    assert.equal(validate({ a: 1, b: '2026-11-29T10:00:00Z' }), true);
    assert.equal(validate({ a: '1', b: 'yesterday', c: true }), false);
    assert.deepEqual(validate.errors?.map((error) => error.keyword).sort(), ['additionalProperties', 'format', 'type']);
    assert.equal(errorsText(validate.errors), compilerFor('api').errorsText(validate.errors, { dataVar: '' }), 'as ajv words them');
    assert.match(errorsText(validate.errors), /^ must NOT have additional properties, \/a must be integer, \/b must match format "date-time"$/);
    assert.equal(errorsText([]), compilerFor('api').errorsText([], { dataVar: '' }));

    const coerced = { port: '8080' };
    assert.equal(validatorFor('config', { type: 'object', properties: { port: { type: 'integer' } } })(coerced), true);
    assert.deepEqual(coerced, { port: 8080 });
  });
});
