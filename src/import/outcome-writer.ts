import type { NewEvent } from '../../events/envelope';
import { ImportItemProcessed, type ImportItemProcessedData } from '../../events/imports';

/** Item outcomes one append of the import's stream carries at most. */
export const MAX_OUTCOMES_PER_APPEND = 256;

interface PendingOutcome {
  data: ImportItemProcessedData;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Writes an import's item outcomes as they are decided: the outcomes decided while one append is
 * being made durable go together in the next one (up to MAX_OUTCOMES_PER_APPEND), so a run of
 * items that are skipped at once costs one commit per few hundred items, not one each.
 */
export class OutcomeWriter {
  private pending: PendingOutcome[] = [];
  private writing: Promise<void> | null = null;

  constructor(private readonly append: (events: NewEvent[]) => Promise<void>) {}

  /** Resolves once the outcome is durable; rejects with the append's error if it was not written. */
  record(data: ImportItemProcessedData): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ data, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_OUTCOMES_PER_APPEND);
      try {
        await this.append(batch.map(({ data }) => ({ type: ImportItemProcessed.type, data: { ...data } })));
        for (const outcome of batch) outcome.resolve();
      } catch (error) {
        for (const outcome of batch) outcome.reject(error);
      }
    }
    this.writing = null;
  }
}
