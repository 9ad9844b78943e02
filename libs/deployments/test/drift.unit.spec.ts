import { describe, expect, it } from '@jest/globals';
import { inputDrift, inputProfile, metricDrift, psi } from '../src/index.js';

describe('metric drift', () => {
  const baseline = { value: 0.84, ci: [0.8, 0.88] as const };

  it('is a drop below the baseline’s lower confidence bound; a smaller drop or an improvement is not', () => {
    expect(metricDrift('accuracy', baseline, 0.76)).toMatchObject({ drifted: true, bound: 0.8, detail: "accuracy 0.7600 < the baseline's lower bound 0.8000 (baseline 0.8400)" });
    expect(metricDrift('accuracy', baseline, 0.81).drifted).toBe(false);
    expect(metricDrift('accuracy', baseline, 0.95).drifted).toBe(false);
  });

  it('for a lower-is-better metric, is a rise above the upper bound', () => {
    const wer = { value: 0.2, ci: [0.17, 0.23] as const, lower_is_better: true };
    expect(metricDrift('wer', wer, 0.3).drifted).toBe(true);
    expect(metricDrift('wer', wer, 0.1).drifted).toBe(false);
  });
});

describe('input drift', () => {
  it('PSI is 0 for equal distributions and grows with the shift (hand-computed value)', () => {
    const a = new Map([['x', 50], ['y', 50]]);
    expect(psi(a, new Map([['x', 5], ['y', 5]]))).toBeCloseTo(0, 12);
    // shares .5/.5 → .9/.1: (.9−.5)·ln(.9/.5) + (.1−.5)·ln(.1/.5) = 0.4·0.587787 + 0.4·1.609438 = 0.878890
    expect(psi(a, new Map([['x', 9], ['y', 1]]))).toBeCloseTo(0.87889, 5);
  });

  const train = Array.from({ length: 200 }, (_, i) => `the service was ${i % 2 ? 'great' : 'slow'} and the food was ${i % 3 ? 'good' : 'cold'}`);
  const evalRows = ['the food was great', 'the service was slow'];
  const profile = inputProfile(train, evalRows, train.map((_, i) => (i % 2 ? '1' : '0')));

  it('requests like the training prompts do not drift', () => {
    const d = inputDrift(profile, train.slice(0, 40), train.slice(0, 40).map((_, i) => (i % 2 ? '1' : '0')));
    expect(d.drifted).toEqual([]);
    expect(d.oov_rate).toBe(0);
    expect(d.length_psi).toBeLessThan(0.01);
  });

  it('long requests in another vocabulary, all predicted one label, drift on length, vocabulary and labels', () => {
    const odd = Array.from({ length: 40 }, (_, i) => `Ich möchte mein Abonnement kündigen, bitte bestätigen Sie die Kündigung zum Monatsende und senden Sie mir eine schriftliche Bestätigung an meine hinterlegte Adresse, Kundennummer ${i}`);
    const d = inputDrift(profile, odd, odd.map(() => '1'));
    expect(d.drifted).toEqual(['length', 'vocabulary', 'labels']);
    expect(d.oov_rate).toBeGreaterThan(0.9);
    expect(d.label_psi).toBeGreaterThan(0.2);
  });
});
