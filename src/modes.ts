import { statfs } from 'node:fs/promises';
import type { EventStore } from './store';

export const MODES = ['disabled', 'read-only', 'full-automation'] as const;
export type Mode = (typeof MODES)[number];

const rank: Record<Mode, number> = { disabled: 0, 'read-only': 1, 'full-automation': 2 };

export const allows = (mode: Mode, needed: Mode) => rank[mode] >= rank[needed];

export interface ModeOptions {
  configured: Mode;
  store: EventStore;
  dataDir: string;
  minFreeDiskBytes: number;
  probeIntervalMs: number;
}

/**
 * The configured mode and what the server allows right now. Writes are refused (read-only) while
 * the log cannot take them: after a failed append until a probe write succeeds, and while free
 * disk space is under the floor. A timer re-checks both, so the mode comes back by itself.
 */
export class ModeState {
  private writeError: string | null = null;
  private diskError: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ModeOptions) {}

  get configured(): Mode {
    return this.options.configured;
  }

  effective(): Mode {
    const { configured } = this.options;
    if (configured === 'full-automation' && (this.writeError || this.diskError)) return 'read-only';
    return configured;
  }

  lastError(): string | undefined {
    return this.writeError ?? this.diskError ?? undefined;
  }

  reportWriteFailure(reason: string): void {
    this.writeError = `The event log refused a write (${reason}): read-only until writes work again.`;
  }

  async start(): Promise<void> {
    await this.check();
    const tick = () => {
      this.timer = setTimeout(() => void this.check().finally(() => this.timer && tick()), this.options.probeIntervalMs);
      this.timer.unref();
    };
    tick();
  }

  /** Re-reads free disk space and, after a failed write, tries a durable probe write. */
  async check(): Promise<void> {
    const { dataDir, minFreeDiskBytes, store } = this.options;
    try {
      const { bavail, bsize } = await statfs(dataDir);
      const free = bavail * bsize;
      this.diskError =
        free < minFreeDiskBytes
          ? `Free disk space ${mebibytes(free)} is under the floor of ${mebibytes(minFreeDiskBytes)}: read-only until space is freed.`
          : null;
    } catch (error) {
      this.diskError = `Free disk space cannot be read (${(error as NodeJS.ErrnoException).code ?? error}).`;
    }
    if (this.writeError) {
      try {
        await store.probeWrite();
        this.writeError = null;
      } catch {
        // Still failing: the mode stays read-only and the next tick tries again.
      }
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

const mebibytes = (bytes: number) => `${Math.floor(bytes / 1048576)} MiB`;
