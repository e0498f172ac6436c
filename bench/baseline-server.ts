/**
 * The bare baseline for bench/create-session.ts: Koa + one compiled ajv check of the create body
 * schema + one group-committed, synced `level` batch per flush + a 201 with a small JSON body.
 *
 *   node dist/bench/baseline-server.js --data-dir DIR [--port 0]
 *
 * Prints `listening on http://127.0.0.1:PORT/api/v1` once ready; closes cleanly on SIGTERM/SIGINT.
 * Only ever listens on 127.0.0.1.
 */
import Ajv from 'ajv';
import Koa from 'koa';
import { Level } from 'level';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSessionBodySchema } from '../src/commands/create-session';

const BODY_LIMIT = 1024 * 1024;
const PATH = '/api/v1/sessions';

interface Pending {
  key: string;
  value: string;
  resolve(): void;
  reject(error: unknown): void;
}

/** One synced batch in flight; every append that arrives meanwhile joins the next one. */
class GroupCommit {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly db: Level<string, string>) {}

  append(key: string, value: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ key, value, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.db.batch(
          batch.map(({ key, value }) => ({ type: 'put' as const, key, value })),
          { sync: true },
        );
        for (const pending of batch) pending.resolve();
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.flushing = null;
  }

  async drain(): Promise<void> {
    await this.flushing;
  }
}

/** Reads the request stream by hand (size limit, utf8) and JSON.parses it, as src/http/body.ts does without raw-body. */
function readJson(req: NodeJS.ReadableStream & { headers: Record<string, string | string[] | undefined> }): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(Object.assign(new Error('too large'), { status: 413 }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks, size).toString('utf8')));
      } catch {
        reject(Object.assign(new Error('invalid json'), { status: 400 }));
      }
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, port: { type: 'string', default: '0' } },
    strict: true,
  });
  const dataDir = values['data-dir'];
  if (!dataDir) throw new Error('--data-dir is required');
  mkdirSync(dataDir, { recursive: true });

  const db = new Level<string, string>(join(dataDir, 'baseline-db'), { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  const log = new GroupCommit(db);
  // Same options as src/schemas/ajv.ts, compiled once.
  const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(createSessionBodySchema);

  let sequence = 0;
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx) => {
    if (ctx.method !== 'POST' || ctx.path !== PATH) {
      ctx.status = 404;
      ctx.body = { error: { status: 404, code: 'not_found' } };
      return;
    }
    if (!/^application\/json\b/i.test(ctx.get('Content-Type'))) {
      ctx.status = 415;
      ctx.body = { error: { status: 415, code: 'unsupported_media_type' } };
      return;
    }
    let body: unknown;
    try {
      body = await readJson(ctx.req);
    } catch (error) {
      ctx.status = (error as { status?: number }).status ?? 400;
      ctx.body = { error: { status: ctx.status, code: 'invalid_json' } };
      return;
    }
    if (!validate(body)) {
      ctx.status = 422;
      ctx.body = { error: { status: 422, code: 'validation_failed', details: validate.errors } };
      return;
    }
    sequence += 1;
    const id = `session_${sequence.toString().padStart(16, '0')}`;
    const at = new Date().toISOString();
    await log.append(`e!${id}`, JSON.stringify({ id, at, data: body }));
    ctx.status = 201;
    ctx.set('Location', `${PATH}/${id}`);
    ctx.body = { data: { id, createdAt: at } };
  });

  const server = app.listen(0 === Number(values.port) ? 0 : Number(values.port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`baseline listening on http://127.0.0.1:${port}/api/v1\n`);

  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    server.closeAllConnections();
    server.close();
    log
      .drain()
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (error: Error) => {
          process.stderr.write(`baseline: shutdown failed: ${error.message}\n`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`baseline: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
