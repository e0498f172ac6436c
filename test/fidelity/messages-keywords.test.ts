import assert from 'node:assert/strict';
import { ApiError } from '../../src/errors';
import { describe as describeProblem } from '../../src/schemas/messages';
import { compileBody } from '../../src/schemas/validate';
import { validatorFor } from '../../src/schemas/validators';
import { describedPattern, patternMessages } from '../../src/schemas/session';

/*
 * Issue 18, item 7, the keywords no request schema uses today: a rule added tomorrow (an enum of
 * statuses, a gain above 0) is worded already, and each wording is asserted here. What the
 * routes' schemas use is asserted over HTTP in messages.test.ts.
 */

/** The message and details a body gets from a schema, as the routes build them. */
function refusal(schema: object, body: unknown): { message: string; details: unknown } {
  try {
    compileBody(schema)(body);
  } catch (error) {
    if (error instanceof ApiError) return { message: error.message, details: error.details };
    throw error;
  }
  assert.fail('the body was accepted');
}

const object = (properties: Record<string, object>) => ({ type: 'object', additionalProperties: false, properties }) as const;

describe('fidelity: messages for every keyword describe knows (issue 18, item 7)', () => {
  const cases: Array<[string, object, unknown, string]> = [
    ['enum', object({ colour: { enum: ['red', 'green'] } }), { colour: 'blue' }, 'colour must be one of: red, green.'],
    ['const', object({ version: { const: 2 } }), { version: 3 }, 'version must be 2.'],
    ['maxProperties', { type: 'object', maxProperties: 1 }, { a: 1, b: 2 }, 'Request body may set at most one field.'],
    ['minProperties of 2', { type: 'object', minProperties: 2 }, { a: 1 }, 'Request body must set at least 2 fields.'],
    ['exclusiveMinimum with maximum', object({ gain: { type: 'number', exclusiveMinimum: 0, maximum: 2 } }), { gain: 0 }, 'gain must be a number greater than 0 and 2 or less.'],
    ['exclusiveMaximum alone', object({ gain: { type: 'number', exclusiveMaximum: 2 } }), { gain: 2 }, 'gain must be a number less than 2.'],
    ['minimum of an integer', object({ count: { type: 'integer', minimum: 1 } }), { count: 0 }, 'count must be an integer of 1 or more.'],
    ['maximum alone', object({ level: { type: 'number', maximum: 10 } }), { level: 11 }, 'level must be a number of 10 or less.'],
    ['integer type', object({ count: { type: 'integer' } }), { count: 1.5 }, 'count must be an integer.'],
    ['minItems alone', object({ takes: { type: 'array', minItems: 2 } }), { takes: [1] }, 'takes must hold at least 2 takes.'],
    ['minItems of 1', object({ items: { type: 'array', minItems: 1 } }), { items: [] }, 'items must hold at least 1 item.'],
    ['maxItems of 1', object({ tags: { type: 'array', maxItems: 1 } }), { tags: ['a', 'b'] }, 'tags may hold at most 1 tag.'],
    ['minLength of 1 alone', object({ name: { type: 'string', minLength: 1 } }), { name: '' }, 'name must not be empty.'],
    ['minLength alone', object({ code: { type: 'string', minLength: 3 } }), { code: 'ab' }, 'code must be at least 3 characters long.'],
    ['minLength of a single character', object({ code: { type: 'string', minLength: 1, pattern: '^[a-z]+$' } }), { code: '1' }, 'code is not in the expected form and must be at least 1 character long.'],
    ['a pattern with no sentence', object({ code: { type: 'string', pattern: '^[A-Z]{3}$' } }), { code: 'abc' }, 'code is not in the expected form.'],
    ['several shapes', object({ value: { anyOf: [{ type: 'string' }, { type: 'number' }] } }), { value: true }, 'value must be a string or a number.'],
    ['a boolean', object({ on: { type: 'boolean' } }), { on: 'yes' }, 'on must be true or false.'],
  ];
  for (const [keyword, schema, body, message] of cases) {
    it(`${keyword}: "${message}"`, () => assert.equal(refusal(schema, body).message, message));
  }

  it('a pattern has one sentence: given the same one again it is kept, given another it throws (a bare \\S once told PATCH "must hold a character")', () => {
    const pattern = '^x-only-in-this-test$';
    assert.equal(describedPattern(pattern, 'must be x'), pattern);
    assert.equal(describedPattern(pattern, 'must be x'), pattern);
    assert.throws(() => describedPattern(pattern, 'must be y'), { message: 'the pattern ^x-only-in-this-test$ is told both "must be x" and "must be y"' });
    assert.equal(patternMessages[pattern], 'must be x');
    delete patternMessages[pattern];
  });

  it('format (date-time, uri, others) and a keyword it has no sentence for, described from the errors ajv gives', () => {
    const schema = object({ at: { type: 'string', format: 'date-time' }, home: { type: 'string', format: 'uri' }, list: { type: 'array', uniqueItems: true } });
    const validate = validatorFor('api', schema);
    assert.equal(validate({ at: 'yesterday', home: 'not a url', list: [1, 1] }), false);
    const problems = validate.errors!.map((error) => describeProblem(error, schema));
    assert.deepEqual(problems, [
      { field: '/at', message: 'must be a date and time such as 2025-01-15T12:34:56Z' },
      { field: '/home', message: 'must be a URL' },
      // No request schema may use it (messages.test.ts walks them): never ajv's words, at least.
      { field: '/list', message: 'is invalid' },
    ]);
    const other = describeProblem({ keyword: 'format', instancePath: '/ip', schemaPath: '#/properties/ip/format', params: { format: 'ipv4' } }, {});
    assert.deepEqual(other, { field: '/ip', message: 'must be in the ipv4 format' });
  });
});
