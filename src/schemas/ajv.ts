import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/**
 * The one ajv instance for requests and events: every schema is compiled here once, at start-up.
 * allErrors so an invalid_request can list every bad field, not only the first.
 */
export const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv, ['date-time', 'uri']);
