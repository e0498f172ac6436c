import { newSessionId } from '../../src/ids';
import type { EventStore } from '../../src/store';

/** Appends `count` SessionCreated events straight to the log, 200 at a time (they share commits); gives their session ids. */
export async function seedSessionEvents(store: EventStore, count: number, notesLength = 200): Promise<string[]> {
  const ids: string[] = [];
  const notes = 'n'.repeat(notesLength);
  for (let start = 0; start < count; start += 200) {
    const batch = Array.from({ length: Math.min(200, count - start) }, (_, offset) => {
      const id = newSessionId();
      ids.push(id);
      const data = { title: `Seeded ${start + offset}`, kind: 'Other', status: 'draft', accent: 'default', tags: [], notes, client: null, projectPath: null };
      return store.append(id, 0, [{ type: 'SessionCreated', data }], { at: new Date().toISOString(), requestId: 'seed', actor: 'test' });
    });
    await Promise.all(batch);
  }
  return ids;
}
