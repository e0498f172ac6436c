import { signal } from '@preact/signals';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { openInDaw } from '../actions';
import { writable } from '../app-state';
import { togglePreview } from '../player';
import { go, place } from '../router';
import { firstPageAnswers, listError, markOnce, needRange, pagesChanged, sessionAt, total } from '../session-list';
import { useVirtualRows } from '../virtual-rows';
import { SessionCard } from './SessionCard';

const CARD_MIN_WIDTH = 280;
const GAP = 12;
const ROW_HEIGHT = 156;

/** The selected card's index in the list, kept across pages. */
export const selectedIndex = signal(0);
/** The card a `focus` asked for: drawn highlighted until another is chosen. */
export const highlightedId = signal<string | null>(null);
/** Set by `focus`: the list scrolls to that index when it holds the session. */
export const scrollRequest = signal<number | null>(null);

const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/** The cards, virtualised in rows; keyboard: / search, arrows or j/k move, space plays, Enter opens, o opens in the DAW. */
export function CardList() {
  const scroller = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(CARD_MIN_WIDTH);
  const columns = Math.max(1, Math.floor((width + GAP) / (CARD_MIN_WIDTH + GAP)));
  const count = total.value ?? 0;
  const rows = Math.ceil(count / columns);
  const virtualizer = useVirtualRows(rows, ROW_HEIGHT, scroller);
  const items = virtualizer.getVirtualItems();
  void pagesChanged.value;
  const answers = firstPageAnswers.value;

  // The DOM holds the new first page now (before its paint): 'cards' the first time, 'cards-updated' after.
  useLayoutEffect(() => {
    if (answers === 0) return;
    const name = answers === 1 ? 'cards' : 'cards-updated';
    markOnce(name);
    // A task queued from the frame's animation callback runs once that frame is painted.
    requestAnimationFrame(() => setTimeout(() => markOnce(`${name}-painted`)));
  }, [answers]);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(entry.contentRect.width));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (items.length === 0) return;
    needRange(items[0].index * columns, (items[items.length - 1].index + 1) * columns - 1);
  });

  useEffect(() => {
    const index = scrollRequest.value;
    if (index === null || rows === 0) return;
    virtualizer.scrollToIndex(Math.floor(index / columns), { align: 'center' });
    scrollRequest.value = null;
  }, [scrollRequest.value, rows]);

  useEffect(() => {
    const move = (index: number) => {
      const next = Math.min(Math.max(index, 0), Math.max(count - 1, 0));
      selectedIndex.value = next;
      virtualizer.scrollToIndex(Math.floor(next / columns));
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      if (event.key === '/' && !typing(event.target)) {
        event.preventDefault();
        document.getElementById('search')?.focus();
        return;
      }
      if (typing(event.target) || count === 0 || place.value.page !== 'list') return;
      const selected = sessionAt(selectedIndex.value);
      const steps: Record<string, number> = { ArrowDown: columns, j: columns, ArrowUp: -columns, k: -columns, ArrowRight: 1, ArrowLeft: -1 };
      if (event.key in steps) {
        event.preventDefault();
        move(selectedIndex.value + steps[event.key]);
      } else if (event.key === ' ' && selected) {
        event.preventDefault();
        togglePreview(selected);
      } else if (event.key === 'Enter' && selected) {
        event.preventDefault();
        go({ page: 'session', id: selected.id });
      } else if (event.key === 'o' && selected && writable.value) {
        event.preventDefault();
        void openInDaw(selected);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [columns, count]);

  return (
    <div class="card-scroller" ref={scroller} aria-label="Sessions" role="region" tabIndex={-1}>
      {listError.value && (
        <p class="error" role="alert">
          {listError.value.message}
        </p>
      )}
      {total.value === 0 && <p class="empty">No session matches. Clear the search or the filters, or create one.</p>}
      <div class="card-rows" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {items.map((row) => (
          <div class="card-row" key={row.key} style={{ transform: `translateY(${row.start}px)`, gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}>
            {Array.from({ length: columns }, (_, column) => {
              const index = row.index * columns + column;
              if (index >= count) return null;
              const session = sessionAt(index);
              if (!session) return <div class="card placeholder" aria-hidden="true" />;
              return (
                <SessionCard
                  key={session.id}
                  session={session}
                  first={index === 0}
                  selected={selectedIndex.value === index}
                  highlighted={highlightedId.value === session.id}
                  onSelect={() => (selectedIndex.value = index)}
                  onOpen={() => {
                    selectedIndex.value = index;
                    go({ page: 'session', id: session.id });
                  }}
                />
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}
