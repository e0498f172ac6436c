import { monotonicFactory } from 'ulid';

const ulid = monotonicFactory();

/** `session_` + a ULID: unique and sortable by creation time. */
export const newSessionId = () => `session_${ulid()}`;
