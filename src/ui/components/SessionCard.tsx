import { accentColour, ago, statusLabel } from '../format';
import { playing } from '../player';
import { pathOf } from '../router';
import type { Session } from '../types';

const SHOWN_TAGS = 4;
const PREVIEW_LABELS = { none: 'No preview', pending: 'Preview analysing', ready: 'Preview ready', failed: 'Preview failed' } as const;

export interface CardProps {
  session: Session;
  /** The list's first card: its title carries Element Timing, so its paint can be measured (bench/ui.ts). */
  first?: boolean;
  selected: boolean;
  highlighted: boolean;
  onSelect(): void;
  onOpen(): void;
}

/** One session at a glance: accent, title, kind, status, tags, client, last opened, preview. */
export function SessionCard({ session, first = false, selected, highlighted, onSelect, onOpen }: CardProps) {
  const extra = session.tags.length - SHOWN_TAGS;
  return (
    <article
      class={`card${selected ? ' selected' : ''}${highlighted ? ' highlighted' : ''}`}
      style={{ '--accent': accentColour(session.accent) }}
      aria-current={selected ? 'true' : undefined}
      data-session-id={session.id}
      onClick={onSelect}
      onDblClick={onOpen}
    >
      <header>
        <h3 elementtiming={first ? 'first-card' : undefined}>
          <a
            href={pathOf({ page: 'session', id: session.id })}
            onClick={(event) => {
              event.preventDefault();
              onOpen();
            }}
          >
            {session.title}
          </a>
        </h3>
        <span class={`status status-${session.status}`}>{statusLabel(session.status)}</span>
      </header>
      <p class="meta">
        <span>{session.kind}</span>
        {session.client && <span>{session.client}</span>}
        <span title={session.lastOpened ?? undefined}>opened {ago(session.lastOpened)}</span>
      </p>
      <ul class="tags" aria-label="Tags">
        {session.tags.slice(0, SHOWN_TAGS).map((tag) => (
          <li>{tag}</li>
        ))}
        {extra > 0 && <li class="more">+{extra}</li>}
      </ul>
      <p class={`preview preview-${session.previewStatus}`}>
        {playing.value === session.id ? '▶ Playing' : PREVIEW_LABELS[session.previewStatus]}
      </p>
    </article>
  );
}
