import { render } from 'preact';
import { watchHealth } from './app-state';
import { followChanges } from './changes';
import { App } from './components/App';
import { emptyQuery, setQuery } from './session-list';

watchHealth();
followChanges();
setQuery(emptyQuery);
render(<App />, document.getElementById('root')!);
