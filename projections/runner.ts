import { BehaviorSubject, filter, firstValueFrom, timeout, type Subscription } from 'rxjs';
import { upcast } from '../events/catalogue';
import type { StoredEvent } from '../events/envelope';
import type { EventStore } from '../src/store';

/** A read model fed from the log, one committed event at a time, in log order. */
export interface Projection {
  readonly name: string;
  apply(event: StoredEvent): void;
}

export interface ProjectionStatus {
  position: number;
  lag: number;
}

/**
 * Feeds every projection from one ordered subscription to the log and keeps their shared
 * checkpoint: the position of the last event applied. Commands wait on it to read their writes.
 */
export class ProjectionRunner {
  private readonly checkpoint = new BehaviorSubject<number>(0);
  private subscription: Subscription | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly store: EventStore,
    readonly projections: readonly Projection[],
  ) {}

  /** Replays the log into the projections and resolves once they have caught up with its head. */
  async start(): Promise<void> {
    const caughtUp = this.waitFor(this.store.head().position, Number.POSITIVE_INFINITY);
    this.subscription = this.store.subscribe(this.checkpoint.value).subscribe({
      next: (stored) => {
        const event = upcast(stored);
        for (const projection of this.projections) projection.apply(event);
        this.checkpoint.next(event.position);
      },
      error: (error: Error) => {
        this.failure = error;
        this.checkpoint.error(error);
      },
    });
    await caughtUp;
  }

  status(): Record<string, ProjectionStatus> {
    const position = this.failure ? 0 : this.checkpoint.value;
    const lag = this.store.head().position - position;
    return Object.fromEntries(this.projections.map((projection) => [projection.name, { position, lag }]));
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
