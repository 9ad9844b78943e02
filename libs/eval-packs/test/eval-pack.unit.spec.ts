import { describe, expect, it } from '@jest/globals';
import { TASK_PROFILES } from '@distillery/contracts';
import { defaultEvalPack, EvalPackError, judge, packMetrics, parseEvalPack, type GateInputs } from '../src/index.js';

const PACK = `
eval_pack_version: 1
name: support-tickets
task_profile: classification
metrics: [accuracy, macro_f1]
gates:
  - { metric: accuracy, gte: 0.80 }
  - { metric: macro_f1, gte: 0.70, bound: lower }
  - { metric: unparseable_rate, lte: 0.02 }
  - { metric: accuracy, relative_to: base, min_delta: 0 }
  - { metric: accuracy, relative_to: champion, min_delta: -0.01, required: false }
  - { metric: recall, worst_slice: label, gte: 0.5, min_rows: 3 }
`;

const good: GateInputs = {
  candidate: { accuracy: { value: 0.86, ci: [0.81, 0.9], n: 200 }, macro_f1: { value: 0.8, ci: [0.74, 0.85] }, unparseable_rate: { value: 0 } },
  slices: { label: { billing: { recall: { value: 0.9, n: 80 } }, bug: { recall: { value: 0.62, n: 70 } }, other: { recall: { value: 0.1, n: 2 } } } },
  lifts: { base: { accuracy: { value: 0.3, ci: [0.22, 0.37] } }, champion: { accuracy: { value: 0.01, ci: [-0.03, 0.05] } } },
};

describe('eval packs', () => {
  it('parses a YAML pack with defaults filled in, and lists the metrics it needs', () => {
    const pack = parseEvalPack(PACK, { taskProfile: 'classification' });
    expect(pack.gates).toHaveLength(6);
    expect(pack.gates[0]).toMatchObject({ metric: 'accuracy', gte: 0.8, bound: 'point', required: true });
    expect(pack.gates[3]).toMatchObject({ relative_to: 'base', min_delta: 0, bound: 'lower' });
    expect(pack.bootstrap).toEqual({ resamples: 1000, confidence: 0.95, seed: 13 });
    expect(packMetrics(pack)).toEqual(['accuracy', 'macro_f1', 'unparseable_rate', 'recall']);
  });

  it('names every problem at once, each with its field', () => {
    const err = (() => {
      try {
        parseEvalPack({ eval_pack_version: 2, name: '', gates: [{ metric: 'accuracy' }, { metric: 'Bad Name', gte: 1 }, { metric: 'f1', relative_to: 'rival' }, { metric: 'recall', worst_slice: 'label', gte: 0.5, lte: 0.9 }, { metric: 'f1', gte: 0.5, typo: 1 }] });
      } catch (e) {
        return e as EvalPackError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(EvalPackError);
    const paths = err.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['eval_pack_version', 'name', 'gates[0]', 'gates[1].metric', 'gates[2].relative_to', 'gates[3]', 'gates[4]']));
    expect(err.issues.find((i) => i.path === 'gates[0]')?.message).toMatch(/exactly one of gte or lte/);
  });

  it('refuses YAML that does not parse, and a pack of another task profile', () => {
    expect(() => parseEvalPack('gates: [ {')).toThrow(/\(yaml\)/);
    expect(() => parseEvalPack(PACK, { taskProfile: 'qa' })).toThrow(/task_profile: the pack is for classification, the model was trained for qa/);
  });

  it('an LLM judge: endpoint, model and the optional key variable, criteria, row cap and timeout are validated', () => {
    const pack = parseEvalPack('eval_pack_version: 1\nname: j\njudge: { endpoint: "http://127.0.0.1:8000", model: judge-7b, api_key_env: JUDGE_KEY, criteria: factual, max_rows: 50 }\ngates:\n  - { metric: judge_score, gte: 0.6 }\n');
    expect(pack.judge).toEqual({ endpoint: 'http://127.0.0.1:8000', model: 'judge-7b', api_key_env: 'JUDGE_KEY', criteria: 'factual', max_rows: 50 });
    expect(packMetrics(pack)).toEqual(['judge_score']);
    expect(parseEvalPack({ eval_pack_version: 1, name: 'none' }).judge).toBeUndefined();
    const issues = (() => {
      try {
        parseEvalPack({ eval_pack_version: 1, name: 'bad', judge: { endpoint: 'ftp://x', model: '', api_key_env: 'sk-live-123', max_rows: 0, timeout_s: -1, temperature: 1 } });
      } catch (e) {
        return (e as EvalPackError).issues.map((i) => i.path);
      }
      throw new Error('no error');
    })();
    expect(issues).toEqual(expect.arrayContaining(['judge.endpoint', 'judge.model', 'judge.api_key_env', 'judge.max_rows', 'judge.timeout_s', 'judge']));
    expect(() => parseEvalPack({ eval_pack_version: 1, name: 'bad', judge: { endpoint: 'http://x' } })).toThrow(/judge\.model/);
  });

  it('a default pack exists for every task profile and parses', () => {
    for (const p of TASK_PROFILES) expect(defaultEvalPack(p).gates.length).toBe(2);
  });
});

describe('the promotability verdict', () => {
  it('passes when every required gate passes, with the compared value and why for each', () => {
    const v = judge(parseEvalPack(PACK), good);
    expect(v.promotable).toBe(true);
    expect(v.blocking).toEqual([]);
    expect(v.gates.map((g) => g.passed)).toEqual([true, true, true, true, false, true]);
    // optional champion gate: the lift's lower bound −0.03 is below −0.01 → reported, not blocking
    expect(v.warnings).toEqual(['accuracy vs champion (Δ ≥ -0.01, lower bound): accuracy improvement vs champion (lower bound) -0.03 < -0.01']);
    expect(v.gates[1]).toMatchObject({ value: 0.74, detail: 'macro_f1 lower bound 0.74 ≥ 0.7' });
    // the 2-row slice is below min_rows: the worst judged slice is 'bug'
    expect(v.gates[5]).toMatchObject({ slice: 'bug', value: 0.62, passed: true });
  });

  it('blocks on a failing required gate and says which gate, which value and why', () => {
    const v = judge(parseEvalPack(PACK), { ...good, candidate: { ...good.candidate, accuracy: { value: 0.78, ci: [0.72, 0.83] } } });
    expect(v.promotable).toBe(false);
    expect(v.blocking).toEqual(['accuracy ≥ 0.8: accuracy 0.78 < 0.8']);
  });

  it('judges a relative gate on the lift’s confidence bound, in the metric’s better direction', () => {
    const pack = parseEvalPack({ eval_pack_version: 1, name: 'asr', gates: [{ metric: 'wer', relative_to: 'base', min_delta: 0.05 }] });
    // WER fell by 0.08 with an interval of [−0.12, −0.06]: the worst-case improvement is 0.06 ≥ 0.05
    const better = judge(pack, { candidate: { wer: { value: 0.2 } }, lifts: { base: { wer: { value: -0.08, ci: [-0.12, -0.06] } } } });
    expect(better.gates[0]).toMatchObject({ passed: true, value: 0.06 });
    // an interval that reaches a smaller improvement fails, though the point lift would pass
    const unsure = judge(pack, { candidate: { wer: { value: 0.2 } }, lifts: { base: { wer: { value: -0.08, ci: [-0.12, -0.01] } } } });
    expect(unsure.promotable).toBe(false);
    expect(unsure.blocking[0]).toMatch(/wer improvement vs base \(lower bound\) 0\.01 < 0\.05/);
  });

  it('a missing metric or base evaluation fails its gate; no champion yet passes the champion gate', () => {
    const pack = parseEvalPack({ eval_pack_version: 1, name: 'x', gates: [{ metric: 'f1', gte: 0.5 }, { metric: 'f1', relative_to: 'base' }, { metric: 'f1', relative_to: 'champion' }] });
    const v = judge(pack, { candidate: {} });
    expect(v.gates.map((g) => [g.passed, g.detail])).toEqual([
      [false, 'f1 was not computed'],
      [false, 'the base model was not evaluated'],
      [true, 'no champion yet: nothing to compare with'],
    ]);
  });

  it('a champion gate judges the paired lift vs the live version when there is one', () => {
    const pack = parseEvalPack({ eval_pack_version: 1, name: 'x', gates: [{ metric: 'accuracy', relative_to: 'champion', min_delta: -0.02, bound: 'point' }] });
    expect(judge(pack, { candidate: {}, lifts: { champion: { accuracy: { value: -0.05 } } } }).blocking).toEqual(['accuracy vs champion (Δ ≥ -0.02): accuracy improvement vs champion -0.05 < -0.02']);
    expect(judge(pack, { candidate: {}, lifts: { champion: { accuracy: { value: 0.01 } } } }).promotable).toBe(true);
  });

  it('a worst-slice gate fails on the single worst slice, naming it', () => {
    const pack = parseEvalPack({ eval_pack_version: 1, name: 'x', gates: [{ metric: 'recall', worst_slice: 'label', gte: 0.5 }] });
    const v = judge(pack, good);
    expect(v.promotable).toBe(false);
    expect(v.blocking).toEqual(["worst label: recall ≥ 0.5: worst label 'other': recall 0.1 < 0.5"]);
  });

  it('a pack without gates is promotable and says nothing was checked', () => {
    const v = judge(parseEvalPack({ eval_pack_version: 1, name: 'none' }), { candidate: {} });
    expect(v.promotable).toBe(true);
    expect(v.warnings).toEqual(['the eval pack declares no gates: nothing is checked before promotion']);
  });
});
