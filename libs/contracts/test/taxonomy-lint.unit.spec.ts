/**
 * Taxonomy lint: every registered reason code has an emitter, every emitter uses a registered code of a stage its
 * location owns, and no error/critical event is built without a code. The reference system declared codes it never
 * emitted, so its failure views missed the commonest failures; this test keeps that from happening here.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REASON_CODES, REASON_CODE_LIST, isReasonCode, type Stage } from '../src/index.js';

const root = join(import.meta.dirname, '..', '..', '..');

/**
 * Codes whose emitters arrive with later issues. This list only shrinks: a code listed here that gains an emitter
 * fails the test until it is removed from the list. Empty since every stage has its service: a new code is emitted
 * where it is registered, or listed here with the reason it waits.
 */
const PENDING: Readonly<Record<string, string>> = {};

const ALL_STAGES: readonly Stage[] = ['ingestion', 'cleaning', 'preparation', 'training', 'eval', 'export', 'deployment', 'system', 'demo'];
/** Which stages a location may emit. `requested` = any `*_requested` code (ingress publishes requests). */
const OWNERS: ReadonlyArray<{ prefix: string; stages: readonly Stage[]; requested?: boolean }> = [
  // API keys live in the API (their table, their one-time display): it records their creation and revocation itself.
  { prefix: 'apps/api/src/keys.controller.ts', stages: ['system'] },
  { prefix: 'apps/api/', stages: [], requested: true },
  { prefix: 'apps/cli/', stages: ['system'], requested: true },
  { prefix: 'apps/demo-worker/', stages: ['demo'] },
  { prefix: 'libs/demo-run/', stages: ['demo'] },
  { prefix: 'libs/deployments/', stages: ['deployment'] },
  { prefix: 'apps/projector/', stages: ['system'] },
  { prefix: 'apps/ingestion/', stages: ['ingestion', 'system'] },
  { prefix: 'apps/mapping/', stages: ['ingestion', 'system'] },
  { prefix: 'apps/preparation/', stages: ['cleaning', 'preparation'] },
  { prefix: 'apps/training/', stages: ['training'] },
  { prefix: 'apps/trainer/', stages: ['training'] },
  { prefix: 'apps/evaluation/', stages: ['eval'] },
  { prefix: 'apps/export/', stages: ['export'] },
  { prefix: 'apps/deployment/', stages: ['deployment'] },
  { prefix: 'libs/eventlog/', stages: ['system'] },
  { prefix: 'libs/projection-runtime/', stages: ['system'] },
  { prefix: 'libs/platform-nest/', stages: ['system'] },
  { prefix: 'libs/support-bundle/', stages: ['system'] },
];

export interface Emission {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

const EMIT = /reason_code:\s*'([a-z0-9_]+)'/g;

export function findEmissions(file: string, text: string): Emission[] {
  const out: Emission[] = [];
  for (const m of text.matchAll(EMIT)) {
    out.push({ file, line: text.slice(0, m.index).split('\n').length, code: m[1]! });
  }
  return out;
}

/** Severity error/critical written in an object literal that carries no reason_code. */
export function findUncodedFailures(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/severity:\s*'(error|critical)'/g)) {
    let depth = 0;
    let start = m.index;
    for (; start >= 0; start -= 1) {
      const ch = text[start];
      if (ch === '}') depth += 1;
      if (ch === '{') {
        if (depth === 0) break;
        depth -= 1;
      }
    }
    let end = m.index;
    depth = 0;
    for (; end < text.length; end += 1) {
      const ch = text[end];
      if (ch === '{') depth += 1;
      if (ch === '}') {
        if (depth === 0) break;
        depth -= 1;
      }
    }
    const literal = text.slice(Math.max(0, start), end + 1);
    if (!/reason_code\s*:/.test(literal)) out.push(`${file}:${text.slice(0, m.index).split('\n').length}`);
  }
  return out;
}

export function ownershipViolations(emissions: readonly Emission[]): string[] {
  const problems: string[] = [];
  for (const e of emissions) {
    if (!isReasonCode(e.code)) {
      problems.push(`${e.file}:${e.line} emits unregistered code '${e.code}'`);
      continue;
    }
    const owner = OWNERS.find((o) => e.file.startsWith(o.prefix));
    const stage = REASON_CODES[e.code].stage;
    if (!owner) problems.push(`${e.file}:${e.line} emits '${e.code}' from a location that owns no stage (add it to OWNERS)`);
    else if (!owner.stages.includes(stage) && !(owner.requested && e.code.endsWith('_requested'))) {
      problems.push(`${e.file}:${e.line} emits '${e.code}' (stage ${stage}) outside its stage(s): ${owner.stages.join(', ') || '*_requested only'}`);
    }
  }
  return problems;
}

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.spec.ts')) files.push(p);
    }
  };
  for (const top of ['apps', 'libs']) {
    for (const project of readdirSync(join(root, top))) {
      const src = join(root, top, project, 'src');
      try {
        if (statSync(src).isDirectory()) walk(src);
      } catch {
        /* no src */
      }
    }
  }
  return files.filter((f) => !relative(root, f).startsWith('libs/contracts/'));
}

describe('taxonomy lint', () => {
  const files = sourceFiles().map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') }));
  const emissions = files.flatMap((f) => findEmissions(f.file, f.text));
  const emitted = new Set(emissions.map((e) => e.code));

  it('finds emitters in the source tree (sanity: the scanner sees the known ones)', () => {
    expect(emitted.has('event_schema_invalid')).toBe(true);
    expect(emitted.has('demo_run_requested')).toBe(true);
  });

  it('every registered code has an emitter, unless it is explicitly pending for a later issue', () => {
    const missing = REASON_CODE_LIST.filter((c) => !emitted.has(c) && !(c in PENDING));
    expect(missing).toEqual([]);
  });

  it('the pending list only shrinks: a pending code that now has an emitter must leave the list', () => {
    const stale = Object.keys(PENDING).filter((c) => emitted.has(c));
    expect(stale).toEqual([]);
  });

  it('every emitter uses a registered code of a stage its location owns', () => {
    expect(ownershipViolations(emissions)).toEqual([]);
  });

  it('no error or critical event is written without a reason code', () => {
    expect(files.flatMap((f) => findUncodedFailures(f.file, f.text))).toEqual([]);
  });

  it('the lint itself catches each kind of violation', () => {
    const bad = [
      ...findEmissions('apps/api/src/x.ts', "publish({ reason_code: 'training_completed' })"),
      ...findEmissions('apps/api/src/y.ts', "publish({ reason_code: 'not_a_code' })"),
      ...findEmissions('apps/nowhere/src/z.ts', "publish({ reason_code: 'event_schema_invalid' })"),
    ];
    const problems = ownershipViolations(bad);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/outside its stage/);
    expect(problems[1]).toMatch(/unregistered code 'not_a_code'/);
    expect(problems[2]).toMatch(/owns no stage/);
    expect(findUncodedFailures('a.ts', "log({ severity: 'error', summary: 'x' })")).toEqual(['a.ts:1']);
    expect(findUncodedFailures('a.ts', "publish({ reason_code: 'x', severity: 'critical', payload: { a: {} } })")).toEqual([]);
    expect(ALL_STAGES.every((s) => OWNERS.some((o) => o.stages.includes(s)))).toBe(true);
  });
});
