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

/** Every kind the server names by itself, in the contract's order: what the web app offers in its kind filter. */
export const KNOWN_KINDS: readonly string[] = [...Object.values(kindsByExtension), OTHER_KIND];
