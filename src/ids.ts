import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

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
