import { signal } from '@preact/signals';

/** Where the app is: its pages are addresses under /app/, so a reload or a link lands on the same one. */
export type Place = { page: 'list' } | { page: 'session'; id: string } | { page: 'import' };

const APP = '/app';

export function placeOf(pathname: string): Place {
  const rest = pathname.startsWith(`${APP}/`) ? pathname.slice(APP.length + 1) : '';
  const session = /^sessions\/([A-Za-z0-9_]+)\/?$/.exec(rest);
  if (session) return { page: 'session', id: session[1] };
  if (/^import\/?$/.test(rest)) return { page: 'import' };
  return { page: 'list' };
}

export const pathOf = (place: Place): string =>
  place.page === 'session' ? `${APP}/sessions/${place.id}` : place.page === 'import' ? `${APP}/import` : `${APP}/`;

export const place = signal<Place>(placeOf(location.pathname));

export function go(next: Place, { replace = false } = {}): void {
  const path = pathOf(next);
  if (path !== location.pathname) {
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
  }
  place.value = next;
}

addEventListener('popstate', () => {
  place.value = placeOf(location.pathname);
});
