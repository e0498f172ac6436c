/**
 * At most `size` holders at once; the others wait in arrival order. A released slot is handed to
 * the next waiter on the next turn of the event loop, so at most `size` holders run in one turn.
 */
export class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly size: number) {}

  async acquire(): Promise<void> {
    if (this.running < this.size) {
      this.running += 1;
      return;
    }
    // The slot is handed over by the holder that releases it: `running` stays counted.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) setImmediate(next);
    else this.running -= 1;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
