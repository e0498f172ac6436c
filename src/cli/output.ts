import { once } from 'node:events';

const CHUNK = 64 * 1024;

/**
 * Text to a stream in chunks, waiting for 'drain' whenever the stream's buffer is full, so a slow
 * reader holds the producer back instead of the process buffering the whole output.
 */
export class Output {
  private pending = '';
  private failure: Error | null = null;
  private readonly onError = (error: NodeJS.ErrnoException) => {
    this.failure ??= error.code === 'EPIPE' ? new Error('the output was closed before the end (EPIPE)') : error;
  };

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', this.onError);
  }

  async write(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= CHUNK) await this.flush();
  }

  /** Writes what is left and resolves once the stream has taken all of it. */
  async end(): Promise<void> {
    try {
      await this.flush();
      await new Promise<void>((resolve, reject) => this.stream.write('', (error) => (error ? reject(error) : resolve())));
      this.check();
    } catch (error) {
      this.onError(error as NodeJS.ErrnoException);
      this.check();
    } finally {
      this.stream.off('error', this.onError);
    }
  }

  private async flush(): Promise<void> {
    this.check();
    const text = this.pending;
    this.pending = '';
    // `once` rejects if the stream fails (EPIPE ...) while we wait.
    if (text && !this.stream.write(text)) await once(this.stream, 'drain').catch((error) => this.onError(error));
    this.check();
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}
