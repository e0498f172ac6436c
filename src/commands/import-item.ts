import type { NewEvent } from '../../events/envelope';
import { PreviewAttached } from '../../events/previews';
import { SessionCreated } from '../../events/sessions';
import { defaultVariantId, fileTitle } from './attach-preview';
import { newSessionData } from './create-session';

/** An import item once its files have been looked at: the session's fields and its preview files, preferred first. */
export interface ImportPlan {
  title: string;
  kind: string;
  projectPath: string;
  previews: ReadonlyArray<{ path: string; mime: string }>;
}

/**
 * The events that create an item's session, all on its stream and so appended at once: the
 * session, then its previews (the first attached becomes preferred, §6).
 */
export function decideImportItem(plan: ImportPlan): NewEvent[] {
  const taken = new Set<string>();
  const previews = plan.previews.map(({ path, mime }): NewEvent => {
    const name = fileTitle(path);
    const variantId = defaultVariantId(taken, name);
    taken.add(variantId);
    return { type: PreviewAttached.type, data: { variantId, name, path, mime } };
  });
  const session = newSessionData({ title: plan.title, kind: plan.kind, projectPath: plan.projectPath });
  return [{ type: SessionCreated.type, data: { ...session } }, ...previews];
}
