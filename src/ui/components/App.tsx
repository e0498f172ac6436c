import { notice } from '../app-state';
import { place } from '../router';
import { CardList } from './CardList';
import { Detail } from './Detail';
import { ImportPage } from './ImportPage';
import { ModeBanner } from './ModeBanner';
import { Toolbar } from './Toolbar';

/** The page: the toolbar, what limits the app, the cards beside the open session or the import. */
export function App() {
  const here = place.value;
  return (
    <div class="app">
      <header class="top">
        <h1>
          <a href="/app/">SessionDock</a>
        </h1>
        <Toolbar />
      </header>
      <ModeBanner />
      <main class={`layout layout-${here.page}`}>
        {here.page !== 'import' && <CardList />}
        {here.page === 'session' && <Detail id={here.id} />}
        {here.page === 'import' && <ImportPage />}
      </main>
      <div class={`toast${notice.value?.error ? ' toast-error' : ''}`} role="status" aria-live="polite">
        {notice.value?.text}
      </div>
    </div>
  );
}
