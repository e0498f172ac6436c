import { readdirSync } from 'node:fs';
import { extname, join } from 'node:path';

/** Where `npm run build` writes the app: dist/ui beside this compiled file's dist/src. */
export const DEFAULT_UI_DIRECTORY = join(__dirname, '..', '..', '..', 'ui');

/** Files taken from the directory at most: the build writes a handful. */
const MAX_FILES = 500;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
/** esbuild's `[name]-[hash]`: such a file never changes under its name. */
const HASHED_NAME = /-[A-Z0-9]{8}\.[a-z0-9]+(?:\.map)?$/;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export interface BuiltFile {
  name: string;
  /** The directory's entry joined to its name as read at start, never to anything a request says. */
  path: string;
  contentType: string;
  cacheControl: string;
}

/**
 * The app's built files, by name, as found at start. A request's name is looked up in this table
 * and never joined to a path, so no spelling of a path (`..`, `%2e%2e`, a slash) reaches the disk.
 */
export class BuiltFiles {
  private constructor(
    readonly directory: string,
    private readonly files: ReadonlyMap<string, BuiltFile>,
    readonly index: BuiltFile,
  ) {}

  /** The built app in `directory`, or null when it is not there (the UI was not built). */
  static scan(directory: string): BuiltFiles | null {
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      return null;
    }
    const files = new Map<string, BuiltFile>();
    for (const entry of entries) {
      if (files.size === MAX_FILES) break;
      if (!entry.isFile() || !SAFE_NAME.test(entry.name)) continue;
      const name = entry.name;
      files.set(name, {
        name,
        path: join(directory, name),
        contentType: CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
        cacheControl: HASHED_NAME.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    const index = files.get('index.html');
    return index ? new BuiltFiles(directory, files, index) : null;
  }

  get(name: string): BuiltFile | undefined {
    return this.files.get(name);
  }

  names(): string[] {
    return [...this.files.keys()];
  }
}
