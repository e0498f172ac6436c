import { isAbsolute, resolve } from 'node:path';

/**
 * A path as the server compares and stores it: an absolute path of the running platform resolved
 * (`/tmp/./big/`, `/tmp//x/../big` → `/tmp/big`), so that spellings of one folder are one path.
 * Any other text is kept as given: resolving it would make it relative to the server's directory.
 * Symbolic links are not followed (the path names what the user named).
 */
export const normalisedPath = (path: string): string => (isAbsolute(path) ? resolve(path) : path);
