import { createHash, randomBytes } from 'node:crypto';
import { encodeTime, monotonicFactory } from 'ulid';

/**
 * ulid's own random source asks the system for one byte at a time, sixteen times per id; this one
 * draws from a pooled buffer of cryptographic randomness (same quality, a fraction of the syscalls).
 */
function pooledRandom(): () => number {
  let pool = randomBytes(4096);
  let offset = 0;
  return () => {
    if (offset + 4 > pool.length) {
      pool = randomBytes(4096);
      offset = 0;
    }
    const value = pool.readUInt32BE(offset) / 0x1_0000_0000;
    offset += 4;
    return value;
  };
}

const ulid = monotonicFactory(pooledRandom());

/** `session_` + a ULID: unique and sortable by creation time. */
export const newSessionId = () => `session_${ulid()}`;

/** `note_` + a ULID: a waveform note's id. */
export const newNoteId = () => `note_${ulid()}`;

/** `import_` + a ULID: an import's stream id. */
export const newImportId = () => `import_${ulid()}`;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The session id an import gives its item `index`: a ULID whose time is the import's and whose
 * 80 random bits come from hashing the import id and the index. The same item always gets the
 * same id, so an import resumed after a crash sees the session it had already created.
 */
export function importedSessionId(importId: string, index: number, requestedAt: number): string {
  const digest = createHash('sha256').update(`${importId}:${index}`).digest();
  let random = '';
  for (let bit = 0; bit < 80; bit += 5) {
    const byte = bit >> 3;
    const value = ((digest[byte] << 8) | digest[byte + 1]) >> (11 - (bit & 7));
    random += CROCKFORD[value & 31];
  }
  return `session_${encodeTime(requestedAt, 10)}${random}`;
}
