import type { SessionState } from '../../projections/session-state';

/** Checkpoints kept in all: a state is a session's fields, so this bounds the memory to a few MB for ordinary notes. */
const MAX_CHECKPOINTS = 256;

/**
 * Sessions as they were at some versions, met while folding their streams for time-travel reads:
 * a later read folds on from the nearest one instead of from version 1. A stream's versions never
 * change, so an entry never goes stale; the least recently used goes when the cap is reached.
 * States are never mutated (the fold makes new ones), so one can be shared.
 */
export class FoldCheckpoints {
  private readonly states = new Map<string, SessionState | undefined>();

  constructor(readonly every: number, private readonly capacity = MAX_CHECKPOINTS) {}

  /** The nearest checkpoint at or below `version`: its version (0 if none) and the state there. */
  nearest(streamId: string, version: number): { version: number; state: SessionState | undefined } {
    for (let at = version - (version % this.every); at > 0; at -= this.every) {
      const key = keyOf(streamId, at);
      if (!this.states.has(key)) continue;
      const state = this.states.get(key);
      // Used again: moved to the end, the most recently used.
      this.states.delete(key);
      this.states.set(key, state);
      return { version: at, state };
    }
    return { version: 0, state: undefined };
  }

  /** Remembers the state at `version` when it is a checkpoint version (a multiple of `every`). */
  offer(streamId: string, version: number, state: SessionState | undefined): void {
    if (version % this.every !== 0) return;
    const key = keyOf(streamId, version);
    this.states.delete(key);
    this.states.set(key, state);
    if (this.states.size > this.capacity) this.states.delete(this.states.keys().next().value!);
  }
}

const keyOf = (streamId: string, version: number) => `${streamId}@${version}`;
