/**
 * Loaded into the soak's server with `node --require dist/bench/memory-probe.js`: every
 * MEMORY_PROBE_EVERY_MS (default 2,000) it prints one line to stdout,
 *
 *   memory-probe {"heapTotal":…,"external":…,"arrayBuffers":…,"malloced":…}
 *
 * in bytes: V8's committed heap, the memory V8 knows that objects hold outside it (Buffers and
 * other ArrayBuffers among it), and V8's own malloc (compiler zones and the like). What anonymous
 * RSS holds beyond these is native memory V8 does not see: LevelDB, libuv, the allocator's
 * arenas. Bench-only: the server itself never loads this file.
 */
import { getHeapStatistics } from 'node:v8';

export const PROBE_PREFIX = 'memory-probe ';

export interface ProbeReading {
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  malloced: number;
}

/** The reading on a line the probe printed; undefined for any other line. */
export function parseProbeLine(line: string): ProbeReading | undefined {
  if (!line.startsWith(PROBE_PREFIX)) return undefined;
  try {
    const reading = JSON.parse(line.slice(PROBE_PREFIX.length)) as ProbeReading;
    return [reading.heapTotal, reading.external, reading.arrayBuffers, reading.malloced].every(Number.isFinite) ? reading : undefined;
  } catch {
    return undefined;
  }
}

function read(): ProbeReading {
  const usage = process.memoryUsage();
  return { heapTotal: usage.heapTotal, external: usage.external, arrayBuffers: usage.arrayBuffers, malloced: getHeapStatistics().malloced_memory };
}

if (require.main !== module && process.env.MEMORY_PROBE === '1') {
  const every = Number(process.env.MEMORY_PROBE_EVERY_MS ?? 2000);
  setInterval(() => process.stdout.write(`${PROBE_PREFIX}${JSON.stringify(read())}\n`), every).unref();
}
