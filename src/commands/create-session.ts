import type { FromSchema } from 'json-schema-to-ts';
import type { NewEvent } from '../../events/envelope';
import { SessionCreated, type SessionCreatedData } from '../../events/sessions';
import { detectKind } from '../kind';
import { writableSessionFields } from '../schemas/session';

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

/** Tags trimmed and de-duplicated case-insensitively, the first spelling kept. */
export function normaliseTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim();
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(tag);
  }
  return kept;
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
