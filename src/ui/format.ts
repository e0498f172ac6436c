/** How the app shows the API's values. */

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['week', 604_800],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = (Date.parse(iso) - now) / 1000;
  for (const [unit, size] of UNITS) if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  return 'just now';
}

export const dateTime = (iso: string) => new Date(iso).toLocaleString();

/** 92.5 → "1:32.5" */
export function clock(seconds: number, decimals = 0): string {
  const whole = Math.max(0, seconds);
  const minutes = Math.floor(whole / 60);
  const rest = whole - minutes * 60;
  const text = decimals > 0 ? rest.toFixed(decimals).padStart(3 + decimals, '0') : String(Math.floor(rest)).padStart(2, '0');
  return `${minutes}:${text}`;
}

const NAMED_ACCENTS: Record<string, string> = {
  default: '#7c8594',
  red: '#e5484d',
  orange: '#f76b15',
  amber: '#ffb224',
  yellow: '#f5d90a',
  green: '#30a46c',
  teal: '#12a594',
  blue: '#0090ff',
  indigo: '#3e63dd',
  purple: '#8e4ec6',
  pink: '#d6409f',
  gray: '#8b8d98',
  grey: '#8b8d98',
};

/** A card's colour: `#rrggbb` as is, a known name, or a hue picked from the slug so it stays the same. */
export function accentColour(accent: string): string {
  if (/^#[0-9a-f]{6}$/i.test(accent)) return accent;
  if (NAMED_ACCENTS[accent]) return NAMED_ACCENTS[accent];
  let hash = 0;
  for (const char of accent.slice(0, 64)) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 60% 50%)`;
}

export const statusLabel = (status: string) => status.replace(/-/g, ' ');
