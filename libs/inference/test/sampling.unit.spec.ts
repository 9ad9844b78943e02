/** chooseToken's distribution: empirical frequencies against softmax(logits / T), and the top-k / top-p supports. */
import { describe, expect, it } from '@jest/globals';
import { argmax, chooseToken, logProbOf, mulberry32, rowRandom } from '../src/sampling.js';

const LOGITS = Float32Array.from([1, 3, 2, 0.5, 3]);
const DRAWS = 40_000;

function frequencies(o: { temperature: number; topP: number; topK: number }, seed = 1): number[] {
  const random = mulberry32(seed);
  const counts = new Array<number>(LOGITS.length).fill(0);
  for (let i = 0; i < DRAWS; i++) counts[chooseToken(LOGITS, o, random)]! += 1;
  return counts.map((c) => c / DRAWS);
}

function softmax(xs: readonly number[], t: number): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp((x - m) / t));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

describe('chooseToken', () => {
  it('greedy is the first maximum', () => {
    expect(argmax(LOGITS)).toBe(1);
    expect(chooseToken(LOGITS, { temperature: 0, topP: 1, topK: 0 }, () => 0.99)).toBe(1);
  });

  it.each([1, 0.5, 2])('samples softmax(logits / %p) (±0.01 over 40k draws)', (temperature) => {
    const got = frequencies({ temperature, topP: 1, topK: 0 });
    softmax([...LOGITS], temperature).forEach((p, i) => expect(Math.abs((got[i] as number) - p)).toBeLessThan(0.01));
  });

  it('top-k keeps the k most likely, ties broken towards the lower id', () => {
    const got = frequencies({ temperature: 1, topP: 1, topK: 2 });
    expect(got[1]).toBeCloseTo(0.5, 1);
    expect(got[4]).toBeCloseTo(0.5, 1);
    expect(got[0]! + got[2]! + got[3]!).toBe(0);
    expect(frequencies({ temperature: 1, topP: 1, topK: 1 })[1]).toBe(1);
  });

  it('top-p keeps the shortest prefix reaching p and renormalises', () => {
    // Probabilities (T = 1): ids 1 and 4 0.387 each (0.774 together), id 2 0.142, id 0 0.052, id 3 0.032: p = 0.8 keeps 1, 4, 2.
    const p = softmax([...LOGITS], 1);
    const kept = (p[1] as number) + (p[4] as number) + (p[2] as number);
    const got = frequencies({ temperature: 1, topP: 0.8, topK: 0 });
    expect(got[0]! + got[3]!).toBe(0);
    expect(Math.abs((got[2] as number) - (p[2] as number) / kept)).toBeLessThan(0.01);
    // Just below the two top tokens' mass: only they remain.
    expect(frequencies({ temperature: 1, topP: 0.7, topK: 0 })[2]).toBe(0);
  });

  it('log-probabilities are log_softmax at temperature 1', () => {
    const p = softmax([...LOGITS], 1);
    LOGITS.forEach((_, i) => expect(logProbOf(LOGITS, i)).toBeCloseTo(Math.log(p[i] as number), 12));
  });

  it('row streams depend on (seed, row) only', () => {
    const draw = (r: () => number) => Array.from({ length: 5 }, r);
    expect(draw(rowRandom(3, 1))).toEqual(draw(rowRandom(3, 1)));
    expect(draw(rowRandom(3, 1))).not.toEqual(draw(rowRandom(3, 0)));
    expect(draw(rowRandom(3, 0))).not.toEqual(draw(rowRandom(4, 0)));
  });
});
