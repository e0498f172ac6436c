/**
 * Summarises V8 .heapsnapshot files (the soak's --heap-snapshots, or `node --heapsnapshot-signal`):
 * live objects grouped by constructor (strings by their first characters), count and self size,
 * and with two files what grew from the first to the second, so a heap that does not stay flat
 * shows what it keeps.
 *
 *   node dist/bench/heap-summary.js [--top N] FIRST.heapsnapshot [SECOND.heapsnapshot]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatTable } from './harness';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface Group {
  count: number;
  bytes: number;
}

/** Characters of a string's text that name its group: enough to tell ids, keys, hashes and URLs apart. */
const STRING_PREFIX = 14;

/** Hashes (SHA-256 in hex: request hashes, the chain's) in one group, other strings by their first characters. */
const stringGroup = (text: string) => (/^[0-9a-f]{64}$/.test(text) ? '(64 hex digits)' : JSON.stringify(text.slice(0, STRING_PREFIX)));

/** Live objects by group: `object Foo`, `string "POST /api/v1/s"`, `array (object elements)`... */
export function groupsOf(snapshot: Snapshot): Map<string, Group> {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, Group>();
  for (let offset = 0; offset < snapshot.nodes.length; offset += width) {
    const type = types[snapshot.nodes[offset + typeAt]];
    const name = snapshot.strings[snapshot.nodes[offset + nameAt]];
    const key = type.includes('string') ? `string ${stringGroup(name)}` : `${type} ${name.slice(0, 60)}`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += snapshot.nodes[offset + sizeAt];
    groups.set(key, group);
  }
  return groups;
}

const load = (file: string) => groupsOf(JSON.parse(readFileSync(file, 'utf8')) as Snapshot);
const kb = (bytes: number) => (bytes / 1024).toFixed(0);

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '30' } }, allowPositionals: true });
  const top = Number(values.top);
  if (positionals.length < 1 || positionals.length > 2 || !Number.isInteger(top) || top < 1) {
    throw new Error('usage: heap-summary [--top N] FIRST.heapsnapshot [SECOND.heapsnapshot]');
  }
  const first = load(positionals[0]);
  const total = (groups: Map<string, Group>) => [...groups.values()].reduce((sum, group) => sum + group.bytes, 0);
  if (positionals.length === 1) {
    const rows = [...first].sort(([, a], [, b]) => b.bytes - a.bytes).slice(0, top);
    process.stdout.write(`${positionals[0]}: ${kb(total(first))} KB in ${[...first.values()].reduce((sum, group) => sum + group.count, 0)} objects\n`);
    process.stdout.write(formatTable(['group', 'count', 'KB'], rows.map(([key, group]) => [key, String(group.count), kb(group.bytes)]), (i) => i > 0));
    return;
  }
  const second = load(positionals[1]);
  const keys = new Set([...first.keys(), ...second.keys()]);
  const none: Group = { count: 0, bytes: 0 };
  const rows = [...keys]
    .map((key) => ({ key, before: first.get(key) ?? none, after: second.get(key) ?? none }))
    .sort((a, b) => b.after.bytes - b.before.bytes - (a.after.bytes - a.before.bytes))
    .slice(0, top);
  process.stdout.write(`${kb(total(first))} KB → ${kb(total(second))} KB; the groups that grew most:\n`);
  process.stdout.write(
    formatTable(
      ['group', 'count before', 'count after', 'KB before', 'KB after', 'KB grown'],
      rows.map(({ key, before, after }) => [key, String(before.count), String(after.count), kb(before.bytes), kb(after.bytes), kb(after.bytes - before.bytes)]),
      (i) => i > 0,
    ),
  );
}

if (require.main === module) main();
