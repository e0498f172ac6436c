import { writableSessionFields } from '../src/schemas/session';

/** Events of a session's stream. The stream id is the session id. */
export const SessionCreated = {
  type: 'SessionCreated',
  schemaVersion: 1,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['title', 'kind', 'status', 'accent', 'tags', 'notes', 'client', 'projectPath'],
    properties: writableSessionFields,
  },
} as const;

export interface SessionCreatedData {
  title: string;
  kind: string;
  status: string;
  accent: string;
  tags: string[];
  notes: string;
  client: string | null;
  projectPath: string | null;
}

export const sessionEvents = [SessionCreated] as const;
