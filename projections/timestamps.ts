/**
 * How the read models hold every timestamp they show: RFC 3339 UTC with whole seconds
 * (`2025-01-15T12:34:56Z`), as SessionDock's docs print them and strict parsers (Swift's default
 * ISO8601DateFormatter) expect. Held this way, not formatted on the way out, so that what a list is
 * sorted and filtered by is the very value a client sees: two sessions showing the same second are
 * ordered by id. The log's own `meta.at` keeps its milliseconds.
 */
export function wholeSeconds(iso: string): string {
  // The common case, toISOString's `…:56.789Z`: cut, no parse.
  if (iso.length === 24 && iso.charCodeAt(19) === 46 /* . */ && iso.endsWith('Z')) return `${iso.slice(0, 19)}Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : wholeSecondsOf(new Date(ms));
}

/** The instant `date` falls in, to the second below: a time is never moved later. */
export function wholeSecondsOf(date: Date): string {
  const ms = date.getTime();
  return `${new Date(ms - (((ms % 1000) + 1000) % 1000)).toISOString().slice(0, -5)}Z`;
}
