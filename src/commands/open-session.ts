import type { NewEvent } from '../../events/envelope';
import { SessionOpened } from '../../events/sessions';

/** Once the opener has started, the opening is recorded: the fold sets lastOpened to the event's time. */
export function decideOpenSession(): NewEvent[] {
  return [{ type: SessionOpened.type, data: {} }];
}
