import type { Subscription } from 'rxjs';
// One by one, not through rxjs's index, which loads all of rxjs (see src/store/event-log.ts).
import { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
import { firstValueFrom } from 'rxjs/internal/firstValueFrom';
import { filter } from 'rxjs/internal/operators/filter';
import { timeout } from 'rxjs/internal/operators/timeout';
import { upcast } from '../events/catalogue';
import type { StoredEvent } from '../events/envelope';
import type { EventStore } from '../src/store';
import { GENESIS_HASH } from '../src/store/hash-chain';
import type { SnapshotItems } from './snapshot-items';
import type { SnapshotFiles } from './snapshots';

/** A read model fed from the log, one committed event at a time, in log order. */
export interface Projection {
  readonly name: string;
  /** Raised whenever the fold or the model's shape changes: snapshots of other versions are ignored. */
  readonly version: number;
  apply(event: StoredEvent): void;
  /** The model as plain JSON items, in a canonical order (two equal models give deep-equal items). */
  snapshot(): unknown[];
  /**
   * Loads what `snapshot` gave, into an empty model nothing has read yet. The model closes the
   * items once it has parsed what it keeps of them (it may keep some unparsed until it needs them).
   */
  restore(items: SnapshotItems): void;
  /** Parses up to `count` restored items it kept unparsed; whether any are left. */
  parsePending?(count: number): boolean;
}

/** Items `parseRestored` parses per turn: a few milliseconds, so a request waits no longer than that. */
const PARSE_SLICE = 250;

export interface ProjectionStatus {
  position: number;
  lag: number;
}

export interface RunnerOptions {
  /** Where to load snapshots from at start and save them to; none: always replay from the start. */
  snapshots?: SnapshotFiles;
  /** Replay from the start even where a snapshot exists (it is still where `saveSnapshots` writes). */
  ignoreSavedSnapshots?: boolean;
  /** Called after each event applied during the start-up replay. */
  onReplay?: (position: number, head: number) => void;
}

/**
 * Feeds every projection from one ordered subscription to the log. Each projection has its own
 * checkpoint (a snapshot may put one ahead of another); the runner's checkpoint is the lowest,
 * the position every read model has applied. Commands wait on it to read their writes.
 */
export class ProjectionRunner {
  private readonly checkpoint = new BehaviorSubject<number>(0);
  /** Per projection, in the order of `projections` (arrays, not maps: read for every event of a replay). */
  private readonly positions: number[];
  private readonly applied: number[];
  private subscription: Subscription | null = null;
  private failure: Error | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    readonly projections: readonly Projection[],
    private readonly options: RunnerOptions = {},
  ) {
    this.positions = projections.map(() => 0);
    this.applied = projections.map(() => 0);
  }

  /** Loads what snapshots it can, replays the rest of the log, and resolves once caught up with its head. */
  async start(): Promise<void> {
    for (const [index, projection] of this.projections.entries()) this.positions[index] = await this.restore(projection);
    const from = Math.min(...this.positions);
    this.checkpoint.next(from);
    const head = this.store.head().position;
    const caughtUp = this.waitFor(head, Number.POSITIVE_INFINITY);
    this.subscription = this.store.subscribe(from).subscribe({
      next: (stored) => {
        const event = upcast(stored);
        for (let index = 0; index < this.projections.length; index += 1) {
          if (this.positions[index] >= event.position) continue;
          this.projections[index].apply(event);
          this.positions[index] = event.position;
          this.applied[index] += 1;
        }
        // Published for every event once caught up. During the start-up replay nothing waits on the
        // positions before the head, and publishing each of a million costs ~5% of the replay.
        if (event.position >= head) this.checkpoint.next(event.position);
        if (event.position <= head) this.options.onReplay?.(event.position, head);
      },
      error: (error: Error) => {
        this.failure = error;
        this.checkpoint.error(error);
      },
    });
    await caughtUp;
  }

  /**
   * Parses what the models restored without parsing, a slice per turn of the event loop, so that
   * requests are served in between. Resolves once nothing is left (or the runner has stopped);
   * rejects if an item cannot be read or parsed (the queries that need it will fail the same way).
   */
  parseRestored(): Promise<void> {
    return new Promise((resolve, reject) => {
      const slice = () => {
        try {
          const left = this.subscription !== null && this.projections.some((projection) => projection.parsePending?.(PARSE_SLICE) ?? false);
          if (left) setImmediate(slice);
          else resolve();
        } catch (error) {
          reject(error);
        }
      };
      setImmediate(slice);
    });
  }

  /** A snapshot's position, when it fits this fold and this log; 0 when the model must be replayed. */
  private async restore(projection: Projection): Promise<number> {
    const snapshot = this.options.ignoreSavedSnapshots ? undefined : this.options.snapshots?.open(projection.name);
    if (!snapshot) return 0;
    try {
      const fits = snapshot.version === projection.version && snapshot.position <= this.store.head().position && snapshot.hash === (await this.hashAt(snapshot.position));
      if (!fits) {
        snapshot.items.close();
        return 0;
      }
      projection.restore(snapshot.items);
      return snapshot.position;
    } catch (error) {
      snapshot.items.close();
      throw error;
    }
  }

  private async hashAt(position: number): Promise<string | undefined> {
    if (position === 0) return GENESIS_HASH;
    for await (const event of this.store.readAll(position - 1, 1)) return event.hash;
    return undefined;
  }

  /**
   * Saves every projection's snapshot at the position it has applied. Each model and its position
   * are taken together, before anything is awaited (the states are immutable, so the copy stays
   * true to that position while it is written out, between requests).
   */
  saveSnapshots(): Promise<void> {
    // One save at a time: a periodic save still writing when shutdown asks for another.
    const next = this.saving.then(() => this.save());
    this.saving = next.catch(() => undefined);
    return next;
  }

  private async save(): Promise<void> {
    const snapshots = this.options.snapshots;
    if (!snapshots) return;
    const taken = this.projections.map((projection, index) => ({
      projection: projection.name,
      version: projection.version,
      position: this.positions[index],
      data: projection.snapshot(),
    }));
    for (const { position, ...rest } of taken) {
      const hash = await this.hashAt(position);
      if (hash !== undefined) await snapshots.write({ ...rest, position, hash });
    }
  }

  /** Events each projection has applied since start (the snapshot's share excluded). */
  appliedSinceStart(): Record<string, number> {
    return Object.fromEntries(this.projections.map((projection, index) => [projection.name, this.applied[index]]));
  }

  status(): Record<string, ProjectionStatus> {
    const head = this.store.head().position;
    return Object.fromEntries(
      this.projections.map((projection, index) => {
        const position = this.failure ? 0 : this.positions[index];
        return [projection.name, { position, lag: head - position }];
      }),
    );
  }

  /** Resolves once every projection has applied `position`. */
  waitFor(position: number, timeoutMs = 10_000): Promise<number> {
    // The usual case: the log hands committed events to the projections before the appender resumes.
    if (!this.failure && this.checkpoint.value >= position) return Promise.resolve(this.checkpoint.value);
    const reached = this.checkpoint.pipe(filter((applied) => applied >= position));
    return firstValueFrom(Number.isFinite(timeoutMs) ? reached.pipe(timeout(timeoutMs)) : reached);
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }
}
