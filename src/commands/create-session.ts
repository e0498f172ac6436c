import type { FromSchema } from 'json-schema-to-ts';
import type { NewEvent } from '../../events/envelope';
import { SessionCreated, type SessionCreatedData } from '../../events/sessions';
import { canonicalKind, detectKind } from '../kind';
import { sessionCreateFields } from '../schemas/session-input';
import { blankAsNull, canonicalAccent, canonicalSlug, given, normaliseTags } from './normalise';

/** The body of POST /sessions: the writable fields, only `title` required. */
export const createSessionBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['title'],
  properties: sessionCreateFields,
} as const;

export type CreateSessionBody = FromSchema<typeof createSessionBodySchema>;

export interface CreateSession {
  sessionId: string;
  body: CreateSessionBody;
}

export const DEFAULT_STATUS = 'draft';
export const DEFAULT_ACCENT = 'default';

/** Applies the contract's defaults and normalisation to a valid body: the event holds only canonical values. */
export function newSessionData(body: CreateSessionBody): SessionCreatedData {
  const projectPath = blankAsNull(body.projectPath ?? null);
  return {
    title: body.title.trim(),
    kind: given(body.kind) ? canonicalKind(body.kind) : detectKind(projectPath),
    status: given(body.status) ? canonicalSlug(body.status) : DEFAULT_STATUS,
    accent: given(body.accent) ? canonicalAccent(body.accent) : DEFAULT_ACCENT,
    tags: normaliseTags(body.tags ?? []),
    notes: body.notes ?? '',
    client: blankAsNull(body.client ?? null),
    projectPath,
  };
}

/** Creating is always possible: the log's expected version 0 is what keeps a session id unique. */
export function decideCreateSession(command: CreateSession): NewEvent[] {
  return [{ type: SessionCreated.type, data: { ...newSessionData(command.body) } }];
}
