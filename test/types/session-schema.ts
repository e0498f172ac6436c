/*
 * Compile-time checks that the types derived from the session schema (json-schema-to-ts) say what
 * the contract says: tsc fails the test command if one of these stops holding.
 */
import type { Session } from '../../src/schemas/session';
type Check<T, U> = [T] extends [U] ? ([U] extends [T] ? true : false) : false;
const a: Check<Session['client'], string | null> = true;
const b: Check<Session['tags'], string[]> = true;
const c: Check<Session['previewStatus'], 'none'|'pending'|'ready'|'failed'> = true;
const d: Check<Session['version'], number> = true;
const e: Check<keyof Session, 'id'|'title'|'kind'|'status'|'accent'|'tags'|'notes'|'client'|'projectPath'|'projectOriginalPath'|'lastOpened'|'previewStatus'|'previewUrl'|'previewAudioUrl'|'previewAudioMime'|'preferredPreviewId'|'previews'|'createdAt'|'updatedAt'|'version'> = true;
const f: Check<Session['title'], string> = true;
const g: Check<Session['accent'], string> = true;
const h: Check<Session['previews'][number]['status'], 'ready'|'pending'|'failed'> = true;
export { a, b, c, d, e, f, g, h };
