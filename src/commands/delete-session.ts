import type { NewEvent } from '../../events/envelope';
import { SessionDeleted } from '../../events/sessions';

/** A live session can always be deleted; the log keeps its history. */
export function decideDeleteSession(): NewEvent[] {
  return [{ type: SessionDeleted.type, data: {} }];
}
