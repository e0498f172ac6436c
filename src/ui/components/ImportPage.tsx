import { useEffect, useState } from 'preact/hooks';
import { KNOWN_KINDS } from '../../kind';
import { ApiFailure, call, get } from '../api';
import { writable, writesOffReason } from '../app-state';
import { lastImportEvent } from '../changes';
import { go } from '../router';
import type { ImportStatus, ImportSummary } from '../types';
import { ErrorText } from './ErrorText';

const MAX_ITEMS = 10_000;
/** While an import runs, its status is read on each of its events and at least this often. */
const POLL_MS = 2_000;

const pathsOf = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

/** Batch import (contract §7): paste project paths, follow the progress, read why items failed. */
export function ImportPage() {
  const [text, setText] = useState('');
  const [kind, setKind] = useState('');
  const [generatePreviews, setGeneratePreviews] = useState(true);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [current, setCurrent] = useState<ImportStatus | null>(null);
  const [recent, setRecent] = useState<ImportSummary[]>([]);
  const paths = pathsOf(text);

  const readStatus = (importId: string) =>
    get<ImportStatus>(`/import/${importId}`)
      .then((answer) => setCurrent(answer.data))
      .catch((failure) => setError(failure as ApiFailure));
  const readRecent = () =>
    get<ImportSummary[]>('/import', { query: { limit: 10 } })
      .then((answer) => setRecent(answer.data))
      .catch(() => undefined);

  useEffect(() => void readRecent(), []);

  const event = lastImportEvent.value;
  useEffect(() => {
    if (current && !current.done && event?.streamId === current.importId) void readStatus(current.importId);
  }, [event]);

  useEffect(() => {
    if (!current || current.done) return;
    const timer = setInterval(() => void readStatus(current.importId), POLL_MS);
    return () => clearInterval(timer);
  }, [current?.importId, current?.done]);

  useEffect(() => {
    if (current?.done) void readRecent();
  }, [current?.done]);

  const start = async (submitted: Event) => {
    submitted.preventDefault();
    try {
      const answer = await call<ImportSummary>('POST', '/import', {
        body: { ...(kind ? { kind } : {}), generatePreviews, items: paths.map((projectPath) => ({ projectPath })) },
      });
      setError(null);
      setText('');
      await readStatus(answer.data.importId);
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  };

  const processed = current ? current.completed + current.failed + current.skipped : 0;
  return (
    <section class="import-page" aria-labelledby="import-heading">
      <header class="detail-header">
        <button type="button" class="quiet back" onClick={() => go({ page: 'list' })} aria-label="Back to the sessions">
          ←
        </button>
        <h2 id="import-heading">Import projects</h2>
      </header>
      <form onSubmit={start} aria-label="Import">
        <label>
          <span>Project paths, one per line (a project file or its folder)</span>
          <textarea
            name="paths"
            rows={8}
            value={text}
            placeholder={'/Users/me/Music/Song One.als\n/Users/me/Music/Band/Demo Project'}
            onInput={(input) => setText(input.currentTarget.value)}
            onDragOver={(over) => over.preventDefault()}
            onDrop={(drop) => {
              drop.preventDefault();
              const dropped = drop.dataTransfer?.getData('text/plain') ?? '';
              if (dropped) setText((text ? `${text}\n` : '') + dropped);
            }}
          />
        </label>
        <div class="pair">
          <label>
            <span>Kind</span>
            <select value={kind} onChange={(change) => setKind(change.currentTarget.value)}>
              <option value="">Detect from each project</option>
              {KNOWN_KINDS.map((known) => (
                <option value={known}>{known}</option>
              ))}
            </select>
          </label>
          <label class="check">
            <input type="checkbox" checked={generatePreviews} onChange={(change) => setGeneratePreviews(change.currentTarget.checked)} />
            <span>Find previews in each project's folder</span>
          </label>
        </div>
        <button type="submit" disabled={!writable.value || paths.length === 0 || paths.length > MAX_ITEMS} title={writesOffReason.value ?? undefined}>
          Import {paths.length > 0 ? `${paths.length.toLocaleString()} project${paths.length === 1 ? '' : 's'}` : ''}
        </button>
        {paths.length > MAX_ITEMS && <p class="error">An import takes at most {MAX_ITEMS.toLocaleString()} projects.</p>}
        <ErrorText error={error} />
      </form>
      {current && (
        <section class="import-status" aria-label="Import progress" data-testid="import-status">
          <progress max={current.total} value={processed} aria-label="Projects processed" />
          <p role="status">
            {current.done ? 'Done' : 'Importing…'} {processed} of {current.total}: {current.completed} created, {current.skipped} skipped, {current.failed} failed
            {current.done ? ` in ${(current.durationMs / 1000).toFixed(1)} s.` : '.'}
          </p>
          <ul class="import-items">
            {current.items.map((item) => (
              <li class={`outcome-${item.outcome}`}>
                <span class="badge">{item.outcome}</span>
                {item.sessionId ? (
                  <a
                    href={`/app/sessions/${item.sessionId}`}
                    onClick={(click) => {
                      click.preventDefault();
                      go({ page: 'session', id: item.sessionId! });
                    }}
                  >
                    {item.projectPath}
                  </a>
                ) : (
                  <span>{item.projectPath}</span>
                )}
                {item.reason && <span class="reason">{item.reason}</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
      {recent.length > 0 && (
        <section aria-labelledby="recent-imports">
          <h3 id="recent-imports">Recent imports</h3>
          <ul class="recent-imports">
            {recent.map((summary) => (
              <li>
                <button type="button" class="link" onClick={() => void readStatus(summary.importId)}>
                  {summary.importId}
                </button>{' '}
                {summary.total} items: {summary.completed} created, {summary.skipped} skipped, {summary.failed} failed{summary.done ? '' : ' (running)'}
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
