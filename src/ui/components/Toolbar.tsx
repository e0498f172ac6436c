import { useEffect, useRef, useState } from 'preact/hooks';
import { KNOWN_KINDS } from '../../kind';
import { statusLabel } from '../format';
import { go } from '../router';
import { query, setQuery, SORTS, total, type ListQuery, type Sort } from '../session-list';
import { NewSession } from './NewSession';

const SEARCH_DEBOUNCE_MS = 150;
export const COMMON_STATUSES = ['draft', 'in-progress', 'review', 'final', 'archived'];
const SORT_LABELS: Record<Sort, string> = {
  lastOpened: 'Last opened',
  updatedAt: 'Last changed',
  createdAt: 'Created',
  title: 'Title',
  kind: 'Kind',
  status: 'Status',
};

const splitTags = (text: string) =>
  text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);

/** Search as you type, the filters and the sort of the cards (contract §5.3). */
export function Toolbar() {
  const current = query.value;
  const [text, setText] = useState(current.q);
  const [tagsText, setTagsText] = useState(current.tags.join(', '));
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  /** Titles, kinds and statuses read A-Z; dates newest first: `order` reverses that. */
  const natural = current.sort === 'title' || current.sort === 'kind' || current.sort === 'status' ? 'asc' : 'desc';
  const reversed = current.order !== '' && current.order !== natural;
  const update = (change: Partial<ListQuery>) => setQuery({ ...query.value, ...change });

  useEffect(() => () => clearTimeout(timer.current), []);
  const debounced = (change: Partial<ListQuery>) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => update(change), SEARCH_DEBOUNCE_MS);
  };

  return (
    <div class="toolbar" role="search">
      <label class="search">
        <span class="visually-hidden">Search sessions</span>
        <input
          id="search"
          type="search"
          placeholder="Search titles, clients, notes, tags   ( / )"
          value={text}
          autoComplete="off"
          onInput={(event) => {
            const value = event.currentTarget.value;
            setText(value);
            debounced({ q: value });
          }}
        />
      </label>
      <FilterSelect label="Kind" value={current.kind} options={KNOWN_KINDS} onChange={(kind) => update({ kind })} />
      <FilterSelect label="Status" value={current.status} options={COMMON_STATUSES} show={statusLabel} onChange={(status) => update({ status })} />
      <label>
        <span>Tags</span>
        <input
          type="text"
          value={tagsText}
          placeholder="mix, vocals"
          onInput={(event) => {
            const value = event.currentTarget.value;
            setTagsText(value);
            debounced({ tags: splitTags(value) });
          }}
        />
      </label>
      <label class="check">
        <input type="checkbox" checked={current.recent} onChange={(event) => update({ recent: event.currentTarget.checked })} />
        <span>Opened recently</span>
      </label>
      <label>
        <span>Sort</span>
        <select value={current.sort} onChange={(event) => update({ sort: event.currentTarget.value as Sort | '' })}>
          <option value="">Recently opened, then changed</option>
          {SORTS.map((sort) => (
            <option value={sort}>{SORT_LABELS[sort]}</option>
          ))}
        </select>
      </label>
      <button type="button" class="quiet" aria-pressed={reversed} title="Reverse the order" onClick={() => update({ order: reversed ? '' : natural === 'asc' ? 'desc' : 'asc' })}>
        <span aria-hidden="true">{reversed ? '⇅ reversed' : '⇅'}</span>
        <span class="visually-hidden">Reverse the order</span>
      </button>
      <span class="count" aria-live="polite">
        {total.value === null ? '' : `${total.value.toLocaleString()} session${total.value === 1 ? '' : 's'}`}
      </span>
      <NewSession />
      <button type="button" class="quiet" onClick={() => go({ page: 'import' })}>
        Import…
      </button>
    </div>
  );
}

interface FilterSelectProps {
  label: string;
  value: string;
  options: readonly string[];
  show?: (option: string) => string;
  onChange(value: string): void;
}

/** One exact-value filter: "Any" or one of `options`. */
function FilterSelect({ label, value, options, show = (option) => option, onChange }: FilterSelectProps) {
  return (
    <label>
      <span>{label}</span>
      <select value={value} onChange={(event) => onChange(event.currentTarget.value)}>
        <option value="">Any</option>
        {options.map((option) => (
          <option value={option}>{show(option)}</option>
        ))}
      </select>
    </label>
  );
}
