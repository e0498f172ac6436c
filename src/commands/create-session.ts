import type { FromSchema } from 'json-schema-to-ts';
import type { NewEvent } from '../../events/envelope';
import { SessionCreated, type SessionCreatedData } from '../../events/sessions';
import { detectKind } from '../kind';
import { writableSessionFields } from '../schemas/session';
import { normaliseTags } from './normalise';

/** The body of POST /sessions: the writable fields, only `title` required. */
export const createSessionBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['title'],
  properties: writableSessionFields,
} as const;

export type CreateSessionBody = FromSchema<typeof createSessionBodySchema>;

export interface CreateSession {
  sessionId: string;
  body: CreateSessionBody;
}

/** Applies the contract's defaults and normalisation to a valid body. */
export function newSessionData(body: CreateSessionBody): SessionCreatedData {
  const projectPath = body.projectPath ?? null;
  return {
    title: body.title.trim(),
    kind: body.kind?.trim() ?? detectKind(projectPath),
    status: body.status ?? 'draft',
    accent: body.accent ?? 'default',
    tags: normaliseTags(body.tags ?? []),
    notes: body.notes ?? '',
    client: body.client ?? null,
    projectPath,
  };
}

/** Creating is always possible: the log's expected version 0 is what keeps a session id unique. */
export function decideCreateSession(command: CreateSession): NewEvent[] {
  return [{ type: SessionCreated.type, data: { ...newSessionData(command.body) } }];
}
