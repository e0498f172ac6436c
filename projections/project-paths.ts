import type { StoredEvent } from '../events/envelope';
import type { SessionCreatedData, SessionUpdatedData } from '../events/sessions';
import type { Projection } from './runner';

/** Live sessions by project path: what an import checks to skip a project it already has. */
export class ProjectPathsProjection implements Projection {
  readonly name = 'project-paths';
  readonly version = 1;
  private readonly pathOf = new Map<string, string>();
  /** How many live sessions have each path: a count, not a set of ids, since `has` is all it answers. */
  private readonly sessionsAt = new Map<string, number>();

  apply(event: StoredEvent): void {
    if (event.type === 'SessionCreated') this.move(event.streamId, (event.data as SessionCreatedData).projectPath);
    else if (event.type === 'SessionUpdated' && 'projectPath' in event.data) this.move(event.streamId, (event.data as SessionUpdatedData).projectPath ?? null);
    else if (event.type === 'SessionDeleted') this.move(event.streamId, null);
  }

  private move(sessionId: string, path: string | null): void {
    const before = this.pathOf.get(sessionId);
    if (before !== undefined) {
      const count = this.sessionsAt.get(before)! - 1;
      if (count === 0) this.sessionsAt.delete(before);
      else this.sessionsAt.set(before, count);
      this.pathOf.delete(sessionId);
    }
    if (path === null) return;
    this.pathOf.set(sessionId, path);
    this.sessionsAt.set(path, (this.sessionsAt.get(path) ?? 0) + 1);
  }

  has(path: string): boolean {
    return this.sessionsAt.has(path);
  }

  snapshot(): Array<[string, string]> {
    return [...this.pathOf].sort(([a], [b]) => (a < b ? -1 : 1));
  }

  restore(data: unknown): void {
    for (const [sessionId, path] of data as Array<[string, string]>) this.move(sessionId, path);
  }
}
