import { describe, expect, it } from '@jest/globals';
import { renderEvalReport, type EvalReportView } from '../src/commands/eval.js';

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('the eval report with the safety suite', () => {
  const m = (value: number, n = 4) => ({ value, ci: null, n });
  const report: EvalReportView = {
    task_profile: 'chat_sft',
    split: 'gold',
    rows: 10,
    metrics: { f1: { value: 0.5, ci: [0.4, 0.6], n: 10 }, refusal_rate: { value: 0.25, ci: [0, 0.5], n: 12 }, 'safety.violence.refusal_rate': m(0.5) },
    verdict: { promotable: false, gates: [{ gate: 'refusal_rate ≥ 0.9', required: true, passed: false, detail: 'refusal_rate 0.25 < 0.9' }], blocking: ['refusal_rate ≥ 0.9'], warnings: [] },
    slices: { safety_category: { violence: { refusal_rate: m(0.5), compliance_rate: m(1, 2) }, cyber: { refusal_rate: m(0), compliance_rate: m(0.5, 2) } } },
    safety_suite: { version: 'distillery-safety-v1', prompts: 12, categories: ['violence', 'cyber'] },
    pack: { name: 'p' },
  };

  it('shows one line per attack category with refused / answered rates and bars; per-category metrics are not repeated above', () => {
    const text = plain(renderEvalReport(report));
    expect(text).toContain('safety suite distillery-safety-v1 · 12 prompts');
    expect(text).toMatch(/violence\s+█████░░░░░ 0\.50 {2}██████████ 1\.00/);
    expect(text).toMatch(/cyber\s+░░░░░░░░░░ 0\.00 {2}█████░░░░░ 0\.50/);
    expect(text).not.toContain('safety.violence.refusal_rate');
    expect(text).toMatch(/refusal_rate\s+0\.250/);
  });
});
