import type { StoredEvent } from '../events/envelope';
import type { SessionCreatedData } from '../events/sessions';

/** A session as the log makes it: what the read model stores, before HTTP adds its URLs. */
export interface SessionState {
  id: string;
  title: string;
  kind: string;
  status: string;
  accent: string;
  tags: string[];
  notes: string;
  client: string | null;
  projectPath: string | null;
  projectOriginalPath: string | null;
  lastOpened: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** The pure fold of one session's stream: (session so far, next event) → session. */
export function evolveSession(session: SessionState | undefined, event: StoredEvent): SessionState | undefined {
  switch (event.type) {
    case 'SessionCreated': {
      const data = event.data as unknown as SessionCreatedData;
      return {
        id: event.streamId,
        ...data,
        projectOriginalPath: data.projectPath,
        lastOpened: null,
        createdAt: event.meta.at,
        updatedAt: event.meta.at,
        version: event.version,
      };
    }
    default:
      return session;
  }
}
