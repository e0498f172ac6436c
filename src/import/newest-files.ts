/**
 * The `capacity` newest files offered so far, newest first (ties by path): a scan of any number of
 * files holds no more than that.
 */
export class NewestFiles {
  private readonly kept: Array<{ path: string; mtimeMs: number }> = [];

  constructor(private readonly capacity: number) {}

  offer(path: string, mtimeMs: number): void {
    const file = { path, mtimeMs };
    const at = this.kept.findIndex((other) => comesBefore(file, other));
    if (at === -1) {
      if (this.kept.length < this.capacity) this.kept.push(file);
      return;
    }
    this.kept.splice(at, 0, file);
    if (this.kept.length > this.capacity) this.kept.pop();
  }

  paths(): string[] {
    return this.kept.map(({ path }) => path);
  }
}

const comesBefore = (a: { path: string; mtimeMs: number }, b: { path: string; mtimeMs: number }) =>
  a.mtimeMs > b.mtimeMs || (a.mtimeMs === b.mtimeMs && a.path < b.path);
