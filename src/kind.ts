/** DAW project kinds by project file extension (contract §5.1). */
const kindsByExtension: Record<string, string> = {
  '.als': 'Ableton',
  '.logicx': 'Logic Pro',
  '.flp': 'FL Studio',
  '.cpr': 'Cubase',
  '.npr': 'Nuendo',
  '.rpp': 'Reaper',
  '.bwproject': 'Bitwig Studio',
  '.song': 'Studio One',
  '.ptx': 'Pro Tools',
  '.band': 'GarageBand',
  '.reason': 'Reason',
};

export const OTHER_KIND = 'Other';

/** The kind a project path names, by its extension (POSIX or Windows separators, any case). */
export function detectKind(projectPath: string | null | undefined): string {
  if (!projectPath) return OTHER_KIND;
  const name = projectPath.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return OTHER_KIND;
  return kindsByExtension[name.slice(dot).toLowerCase()] ?? OTHER_KIND;
}

/** Known kinds by their spelling folded (lower case, single spaces): `ableton` is `Ableton`. */
const knownKinds = new Map([...Object.values(kindsByExtension), OTHER_KIND].map((kind) => [foldKind(kind), kind]));

function foldKind(kind: string): string {
  return kind.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** A kind as stored: a known one in its canonical spelling, any other as sent, trimmed. */
export function canonicalKind(kind: string): string {
  return knownKinds.get(foldKind(kind)) ?? kind.trim();
}

/** Every kind the server names by itself, in the contract's order: what the web app offers in its kind filter. */
export const KNOWN_KINDS: readonly string[] = [...Object.values(kindsByExtension), OTHER_KIND];
