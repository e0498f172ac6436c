import type { StoredEvent } from '../events/envelope';
import type { ImportItemProcessedData, ImportRequestedData } from '../events/imports';
import type { ImportItem, ImportItemResult, ImportSummary } from '../src/schemas/import';
import type { Projection } from './runner';
import { allItems, type SnapshotItems } from './snapshot-items';

/** An import as its stream tells it: the request, each item's outcome so far, and whether it finished. */
export interface ImportRecord {
  importId: string;
  requestedAt: string;
  /** Who asked, for the meta of the events written on the import's behalf. */
  requestId: string;
  actor: string;
  kind: string | null;
  generatePreviews: boolean;
  items: readonly ImportItem[];
  outcomes: Array<ImportItemResult | null>;
  completed: number;
  failed: number;
  skipped: number;
  finishedAt: string | null;
}

const counterOf = { created: 'completed', failed: 'failed', skipped: 'skipped' } as const;

/** Imports by id, in the order they were requested. */
export class ImportsProjection implements Projection {
  readonly name = 'imports';
  readonly version = 1;
  private readonly records = new Map<string, ImportRecord>();

  apply(event: StoredEvent): void {
    if (event.type === 'ImportRequested') {
      const data = event.data as ImportRequestedData;
      this.records.set(event.streamId, {
        importId: event.streamId,
        requestedAt: event.meta.at,
        requestId: event.meta.requestId,
        actor: event.meta.actor,
        kind: data.kind,
        generatePreviews: data.generatePreviews,
        items: data.items,
        outcomes: data.items.map(() => null),
        completed: 0,
        failed: 0,
        skipped: 0,
        finishedAt: null,
      });
      return;
    }
    const record = this.records.get(event.streamId);
    if (!record) return;
    if (event.type === 'ImportItemProcessed') {
      const { index, outcome, sessionId, reason } = event.data as ImportItemProcessedData;
      // An item has one outcome: a second report of it (a resumed import) changes nothing.
      if (record.outcomes[index]) return;
      record.outcomes[index] = { index, projectPath: record.items[index].projectPath, outcome, ...(sessionId ? { sessionId } : {}), ...(reason ? { reason } : {}) };
      record[counterOf[outcome]] += 1;
    } else if (event.type === 'ImportFinished') {
      record.finishedAt = event.meta.at;
    }
  }

  get(importId: string): ImportRecord | undefined {
    return this.records.get(importId);
  }

  summary(record: ImportRecord, now: Date): ImportSummary {
    const end = record.finishedAt === null ? now.getTime() : Date.parse(record.finishedAt);
    return {
      importId: record.importId,
      total: record.items.length,
      completed: record.completed,
      failed: record.failed,
      skipped: record.skipped,
      done: record.finishedAt !== null,
      durationMs: Math.max(0, end - Date.parse(record.requestedAt)),
    };
  }

  results(record: ImportRecord): ImportItemResult[] {
    return record.outcomes.filter((result): result is ImportItemResult => result !== null);
  }

  /** Newest first. */
  recent(): ImportRecord[] {
    return [...this.records.values()].reverse();
  }

  /** Imports a stop interrupted, oldest first. */
  unfinished(): ImportRecord[] {
    return [...this.records.values()].filter((record) => record.finishedAt === null);
  }

  /** Copies: the fold keeps filling in outcomes while a snapshot is written out. */
  snapshot(): ImportRecord[] {
    return [...this.records.values()].map((record) => ({ ...record, outcomes: [...record.outcomes] }));
  }

  restore(items: SnapshotItems): void {
    for (const record of allItems(items) as ImportRecord[]) this.records.set(record.importId, record);
  }
}
