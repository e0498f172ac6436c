/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`): top functions by self time, and self
 * time per file/package, so a profile of our server under bench load reads in a terminal.
 *
 *   node dist/bench/cpuprofile-summary.js [--top N] [--requests N] [--callers NAME] FILE.cpuprofile...
 *
 * --requests N (the responses the process served, warm-up included) adds a µs-per-request column.
 *
 * With --callers NAME, also: the self time of functions named NAME split by their call stack, up to
 * the nearest caller in the project's own compiled code (any file outside node_modules).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame lives: the project file, the node_modules package, node: internals, or V8's pseudo-frames. */
function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native/V8)';
  const nodeModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nodeModules) return `pkg ${nodeModules[1]}`;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(?:deps\/)?([^/]+).*/, 'node:$1');
  const project = /\/[^/]*dist\/(.*)$/.exec(url);
  return project ? project[1] : url.replace(/^file:\/\//, '');
}

/** The project's own compiled code: a file:// URL outside node_modules. */
const isProject = (url: string) => url.startsWith('file://') && !url.includes('/node_modules/');

function main(): void {
  const { values, positionals } = parseArgs({
    options: {
      top: { type: 'string', default: '30' },
      callers: { type: 'string', multiple: true },
      requests: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new Error('usage: cpuprofile-summary [--top N] [--callers NAME] FILE.cpuprofile...');
  const callerNames = new Set(values.callers ?? []);
  const byCaller = new Map<string, number>();
  /** Inclusive time of the project's own functions (each counted once per sample, however deep it recurses). */
  const inclusive = new Map<string, number>();
  const requests = values.requests ? Number(values.requests) : undefined;
  const top = Number(values.top);

  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const frameName = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'} ${placeOf(node.callFrame.url, node.callFrame.functionName)}`;
    /** The stack from the leaf up to and including the first frame in the project's own code. */
    const stackToProject = (id: number) => {
      const frames: string[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
        const node = nodes.get(at)!;
        frames.push(frameName(node));
        if (isProject(node.callFrame.url) && at !== id) break;
      }
      return frames.join(' < ');
    };
    const self = new Map<number, number>();
    // timeDeltas[i] is the time before sample i; attribute each interval to the sample that ends it.
    for (let i = 0; i < profile.samples.length; i += 1) {
      const delta = profile.timeDeltas[i] ?? 0;
      self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + delta);
    }
    const projectFrames = new Map<number, string[]>();
    const projectFramesOf = (id: number): string[] => {
      let frames = projectFrames.get(id);
      if (frames) return frames;
      frames = [];
      for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
        const { functionName, url, lineNumber } = nodes.get(at)!.callFrame;
        if (isProject(url)) frames.push(`${functionName || '(anonymous)'}  ${placeOf(url, functionName)}:${lineNumber + 1}`);
      }
      projectFrames.set(id, (frames = [...new Set(frames)]));
      return frames;
    };
    for (const [id, micros] of self) {
      for (const frame of projectFramesOf(id)) inclusive.set(frame, (inclusive.get(frame) ?? 0) + micros);
      const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
      const place = placeOf(url, functionName);
      const name = `${functionName || '(anonymous)'}  ${place}${url ? `:${lineNumber + 1}` : ''}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
      byPlace.set(place, (byPlace.get(place) ?? 0) + micros);
      if (callerNames.has(functionName)) {
        const stack = stackToProject(id);
        byCaller.set(stack, (byCaller.get(stack) ?? 0) + micros);
      }
      total += micros;
    }
  }
  const busy = total - (byPlace.get('(idle)') ?? 0);
  const print = (title: string, map: Map<string, number>, limit: number) => {
    process.stdout.write(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms not idle)\n`);
    process.stdout.write(`   time ms   %total   %busy${requests ? '   µs/req' : ''}\n`);
    for (const [name, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      const ofBusy = name.startsWith('(idle)') ? '-' : `${((100 * micros) / busy).toFixed(1)}%`;
      const perRequest = requests ? (micros / requests).toFixed(1).padStart(9) : '';
      process.stdout.write(
        `${(micros / 1000).toFixed(1).padStart(10)} ${((100 * micros) / total).toFixed(1).padStart(7)}% ${ofBusy.padStart(7)}${perRequest}  ${name}\n`,
      );
    }
  };
  print('self time by file / package', byPlace, top);
  print(`top ${top} functions by self time`, byFunction, top);
  print(`top ${top} project functions by inclusive time`, inclusive, top);
  if (callerNames.size > 0) print(`self time of ${[...callerNames].join(', ')} by stack (leaf < ... < first project frame)`, byCaller, top);
}

main();
