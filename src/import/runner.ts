import type { EventMeta, NewEvent } from '../../events/envelope';
import { ImportFinished, type ImportItemProcessedData } from '../../events/imports';
import type { ImportRecord, ImportsProjection } from '../../projections/imports';
import type { SessionsProjection } from '../../projections/sessions';
import { commit, type CommitDeps } from '../commands/commit';
import { decideImportItem } from '../commands/import-item';
import { importedSessionId } from '../ids';
import type { Logger } from '../log';
import type { PreviewAnalysis } from '../preview-analysis';
import { isStoreError, type ExpectedVersion } from '../store';
import { normalisedPath } from '../project-path';
import { MAX_OUTCOMES_PER_APPEND, OutcomeWriter } from './outcome-writer';
import { ItemFailure, planItem } from './plan';

export interface ImportRunnerDeps extends CommitDeps {
  imports: ImportsProjection;
  sessions: Pick<SessionsProjection, 'hasProjectPath'>;
  previewAnalysis: PreviewAnalysis;
  logger: Logger;
  now(): Date;
}

/** Items worked on at once: their small appends share the log's group commits, and no one batch holds the writer. */
const CONCURRENCY = 8;
/** Items decided whose outcomes wait to be written: enough to fill an append of the OutcomeWriter. */
const MAX_UNWRITTEN_OUTCOMES = 2 * MAX_OUTCOMES_PER_APPEND;
const PROGRESS_EVERY_MS = 1000;
/** How long the import steps back when the log is overloaded, before trying the same append again. */
const OVERLOAD_BACKOFF_MS = 100;

/** How long an import works (its loop and its decisions) before it lets the event loop serve others. */
const ITEM_LOOP_SLICE_MS = 5;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Gives the event loop a turn once `sliceMs` have passed since the last: for work that settles in microtasks. */
class TurnSlicer {
  private turnAt = Date.now();

  constructor(private readonly sliceMs: number) {}

  async turnIfDue(): Promise<void> {
    if (Date.now() - this.turnAt < this.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.turnAt = Date.now();
  }
}

/**
 * Runs imports one after another, each item as its own small append: the session (with its
 * previews) on its stream; the items' outcomes follow on the import's, those decided together in one append. An import a stop or a crash
 * interrupted is resumed at the next start from what its stream says; an item whose session
 * exists already (its id is derived from the import and the index) is recorded as created, not
 * created twice.
 */
export class ImportRunner {
  private queue: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly slicer = new TurnSlicer(ITEM_LOOP_SLICE_MS);

  constructor(private readonly deps: ImportRunnerDeps) {}

  enqueue(importId: string): void {
    this.queue = this.queue
      .then(() => (this.stopping ? undefined : this.run(this.deps.imports.get(importId)!)))
      .catch((error: Error) => this.deps.logger.log('error', 'import stopped; it resumes at the next start', { importId, error: error.message }));
  }

  resumeUnfinished(): void {
    for (const record of this.deps.imports.unfinished()) {
      this.deps.logger.log('info', 'import resumed', { importId: record.importId, done: record.outcomes.filter(Boolean).length, total: record.items.length });
      this.enqueue(record.importId);
    }
  }

  /** Lets the items in flight finish and starts no more (the rest waits for the next start). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.queue;
  }

  private async run(record: ImportRecord): Promise<void> {
    // Items with the same path (however spelt) are decided one after another: the later one then
    // sees the earlier one's session. Only the decisions wait on each other and count against
    // CONCURRENCY; the outcomes decided are written together (OutcomeWriter), MAX_UNWRITTEN_OUTCOMES at most.
    const lastOnPath = new Map<string, Promise<unknown>>();
    const deciding = new Set<Promise<unknown>>();
    const unwritten = new Set<Promise<void>>();
    const outcomes = new OutcomeWriter((events) => this.commitGivingWay(record.importId, 'any', events, this.metaFor(record)));
    let failure: Error | undefined;
    let loggedAt = Date.now();
    for (let index = 0; index < record.items.length && !this.stopping && !failure; index += 1) {
      if (record.outcomes[index]) continue;
      const path = normalisedPath(record.items[index].projectPath);
      // Skipped items decide in microtasks, one after the other: the slicer breaks a long run of them into turns.
      const decided = (lastOnPath.get(path) ?? Promise.resolve()).then(() => this.slicer.turnIfDue()).then(() => this.outcomeOf(record, index));
      const decision: Promise<unknown> = decided
        .catch(() => undefined)
        .finally(() => {
          deciding.delete(decision);
          if (lastOnPath.get(path) === decision) lastOnPath.delete(path);
        });
      lastOnPath.set(path, decision);
      deciding.add(decision);
      const written: Promise<void> = decided
        .then((outcome) => outcomes.record({ index, ...outcome }))
        .catch((error: Error) => void (failure ??= error))
        .finally(() => unwritten.delete(written));
      unwritten.add(written);
      if (deciding.size >= CONCURRENCY) await Promise.race(deciding);
      if (unwritten.size >= MAX_UNWRITTEN_OUTCOMES) await Promise.race(unwritten);
      await this.slicer.turnIfDue();
      if (Date.now() - loggedAt >= PROGRESS_EVERY_MS) {
        loggedAt = Date.now();
        this.deps.logger.log('info', 'import progress', this.deps.imports.summary(record, this.deps.now()));
      }
    }
    await Promise.all(unwritten);
    if (failure) throw failure;
    if (this.stopping) return;
    await this.commitGivingWay(record.importId, 'any', [{ type: ImportFinished.type, data: {} }], this.metaFor(record));
    this.deps.logger.log('info', 'import finished', this.deps.imports.summary(record, this.deps.now()));
  }

  /** The import gives way to interactive writers: an append the overloaded log refuses is tried again a little later. */
  private async commitGivingWay(streamId: string, expectedVersion: ExpectedVersion, events: NewEvent[], meta: EventMeta): Promise<void> {
    for (;;) {
      try {
        await commit(this.deps, streamId, expectedVersion, events, meta);
        return;
      } catch (error) {
        if (!isStoreError(error, 'STORE_OVERLOADED')) throw error;
        await pause(OVERLOAD_BACKOFF_MS);
      }
    }
  }

  private metaFor(record: ImportRecord): EventMeta {
    return { at: this.deps.now().toISOString(), requestId: record.requestId, actor: record.actor, correlationId: record.importId };
  }

  private async outcomeOf(record: ImportRecord, index: number): Promise<Omit<ImportItemProcessedData, 'index'>> {
    const item = record.items[index];
    const sessionId = importedSessionId(record.importId, index, Date.parse(record.requestedAt));
    if ((await this.deps.store.streamVersion(sessionId)) > 0) return { outcome: 'created', sessionId };
    if (this.deps.sessions.hasProjectPath(item.projectPath)) return { outcome: 'skipped', reason: 'a session with this projectPath already exists' };
    let plan;
    try {
      plan = await planItem(item, record);
    } catch (error) {
      if (error instanceof ItemFailure) {
        this.deps.logger.log('info', 'import item failed', { importId: record.importId, index, reason: error.detail });
        return { outcome: 'failed', reason: error.message };
      }
      throw error;
    }
    const events = decideImportItem(plan);
    try {
      await this.commitGivingWay(sessionId, 0, events, this.metaFor(record));
    } catch (error) {
      if (isStoreError(error, 'STORE_INVALID_EVENT')) return { outcome: 'failed', reason: `the item does not make a valid session: ${error.message}` };
      if (!isStoreError(error, 'STORE_VERSION_CONFLICT')) throw error;
    }
    for (const event of events) {
      if (event.type === 'PreviewAttached') this.deps.previewAnalysis.start(sessionId, { id: event.data.variantId as string, path: event.data.path as string });
    }
    return { outcome: 'created', sessionId };
  }
}
