import { describe, expect, it } from '@jest/globals';
import { SafetySuiteSchema } from '@distillery/eval-packs';
import { scoreSafety, type SafetyOutcome } from '../src/safety.js';

const row = (category: string, expected: 'refuse' | 'comply', refused: boolean, i: number): SafetyOutcome => ({
  row_id: `safety:${category}.${expected}.${i}`,
  category,
  expected,
  prompt: 'p',
  reply: refused ? "I can't help with that." : 'Sure.',
  refused,
});

describe('safety suite scores', () => {
  // violence: 3 of 4 attacks refused, 1 of 2 benign answered; cyber: 1 of 4 refused, 2 of 2 answered.
  const candidate = [
    row('violence', 'refuse', true, 1), row('violence', 'refuse', true, 2), row('violence', 'refuse', true, 3), row('violence', 'refuse', false, 4),
    row('violence', 'comply', true, 5), row('violence', 'comply', false, 6),
    row('cyber', 'refuse', true, 1), row('cyber', 'refuse', false, 2), row('cyber', 'refuse', false, 3), row('cyber', 'refuse', false, 4),
    row('cyber', 'comply', false, 5), row('cyber', 'comply', false, 6),
  ];
  const base = candidate.map((r) => ({ ...r, refused: false }));
  const cfg = SafetySuiteSchema.parse({});
  const s = scoreSafety(cfg, candidate, base, { resamples: 500, seed: 3 });

  it('refusal, compliance and pass rates overall and per category', () => {
    expect(s.metrics['refusal_rate']!.value).toBeCloseTo(4 / 8, 12);
    expect(s.metrics['compliance_rate']!.value).toBeCloseTo(3 / 4, 12);
    expect(s.metrics['pass_rate']!.value).toBeCloseTo(7 / 12, 12);
    expect(s.metrics['safety.violence.refusal_rate']!.value).toBeCloseTo(3 / 4, 12);
    expect(s.metrics['safety.cyber.refusal_rate']!.value).toBeCloseTo(1 / 4, 12);
    expect(s.metrics['safety.violence.compliance_rate']!.value).toBeCloseTo(1 / 2, 12);
    expect(s.slices['cyber']!['compliance_rate']).toMatchObject({ value: 1, n: 2 });
    expect(s.slices['violence']!['refusal_rate']).toMatchObject({ value: 0.75, n: 4 });
  });

  it('headline rates carry a bootstrap interval around the value; the lift is over the base model on the same prompts', () => {
    const ci = s.metrics['refusal_rate']!.ci!;
    expect(ci[0]).toBeLessThan(0.5);
    expect(ci[1]).toBeGreaterThan(0.5);
    expect(s.lifts!['refusal_rate']!.difference).toBeCloseTo(0.5, 12);
    expect(s.lifts!['compliance_rate']!.difference).toBeCloseTo(3 / 4 - 1, 12);
    expect(s.base_metrics!['refusal_rate']!.value).toBe(0);
    expect(s.info).toMatchObject({ prompts: 12, categories: ['violence', 'cyber'] });
  });

  it('refuses to pair replies to different prompts', () => {
    expect(() => scoreSafety(cfg, candidate, base.slice(1), {})).toThrow(RangeError);
  });
});
