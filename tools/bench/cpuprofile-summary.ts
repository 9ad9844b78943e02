// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per function, self time per package/area, and
// inclusive time of functions whose name or file matches a pattern.
//
//   node dist/tools/bench/cpuprofile-summary.js <file.cpuprofile> [--top 30] [--focus name1,name2,...]
//
// Inclusive time counts each sample once per function even under recursion. Times are % of all samples
// (idle included), and % of non-idle samples.
import { readFileSync } from 'node:fs';
import { flag, fmt, table } from './common.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface Node {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: cpuprofile-summary <file.cpuprofile> [--top 30] [--focus a,b]');
  process.exit(2);
}
const top = Number(flag('top') ?? 30);
const focus = (flag('focus') ?? '').split(',').filter(Boolean);

const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Time per sample (µs): timeDeltas[i+1] is the time until the next sample; use the delta of the sample itself.
const selfUs = new Map<number, number>();
for (let i = 0; i < p.samples.length; i += 1) {
  const dt = p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0;
  selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + Math.max(0, dt));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const short = (url: string) => {
  if (!url) return '';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length);
  const d = u.indexOf('/dist/');
  return d >= 0 ? u.slice(d + 1) : u;
};
const label = (cf: CallFrame) => `${cf.functionName || '(anonymous)'} ${short(cf.url)}:${cf.lineNumber + 1}`;
const area = (cf: CallFrame): string => {
  const u = short(cf.url);
  if (!cf.url) return cf.functionName.startsWith('(') ? cf.functionName : '(native/builtin)';
  if (u.startsWith('node:')) return u.split('/')[0]!;
  if (u.startsWith('@')) return u.split('/').slice(0, 2).join('/');
  if (u.startsWith('dist/')) return u.split('/').slice(0, 4).join('/');
  if (!u.startsWith('/')) return u.split('/')[0]!;
  return u;
};

const idleIds = new Set(p.nodes.filter((n) => ['(idle)', '(program)', '(garbage collector)'].includes(n.callFrame.functionName)).map((n) => n.id));
const idle = p.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((s, n) => s + (selfUs.get(n.id) ?? 0), 0);
const busy = total - idle;
const pct = (us: number, of = total) => `${fmt((100 * us) / of, 1)}%`;

const selfByFn = new Map<string, number>();
const selfByArea = new Map<string, number>();
for (const n of p.nodes) {
  const us = selfUs.get(n.id) ?? 0;
  if (!us) continue;
  const l = label(n.callFrame);
  selfByFn.set(l, (selfByFn.get(l) ?? 0) + us);
  const a = idleIds.has(n.id) ? n.callFrame.functionName : area(n.callFrame);
  selfByArea.set(a, (selfByArea.get(a) ?? 0) + us);
}

console.log(`profile ${file}: ${fmt(total / 1000)} ms sampled, idle ${pct(idle)}, busy ${fmt(busy / 1000)} ms`);
console.log('\n── self time by function ──');
console.log(
  table(
    ['function', 'self ms', '% all', '% busy'],
    [...selfByFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([l, us]) => [l, fmt(us / 1000), pct(us), pct(us, busy)]),
  ),
);
console.log('\n── self time by package / file ──');
console.log(
  table(
    ['area', 'self ms', '% all', '% busy'],
    [...selfByArea.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([l, us]) => [l, fmt(us / 1000), pct(us), pct(us, busy)]),
  ),
);

if (focus.length > 0) {
  // Inclusive: for every sample, walk to the root and credit each matching function once.
  const incl = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i += 1) {
    const dt = Math.max(0, p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0);
    const seen = new Set<string>();
    let id: number | undefined = p.samples[i]!;
    while (id !== undefined) {
      const cf = byId.get(id)!.callFrame;
      for (const f of focus) {
        if (!seen.has(f) && (cf.functionName === f || (f.includes('/') && short(cf.url).includes(f)))) {
          seen.add(f);
          incl.set(f, (incl.get(f) ?? 0) + dt);
        }
      }
      id = parent.get(id);
    }
  }
  console.log('\n── inclusive time of focus functions ──');
  console.log(table(['function', 'incl ms', '% all', '% busy'], focus.map((f) => [f, fmt((incl.get(f) ?? 0) / 1000), pct(incl.get(f) ?? 0), pct(incl.get(f) ?? 0, busy)])));
}
