import { describe, expect, it } from '@jest/globals';
import { lrAt, lrSchedule, warmupSteps, type ScheduleConfig } from '../src/index.js';

const LR = 2e-4;
const cosine: ScheduleConfig = { learning_rate: LR, scheduler: 'cosine', warmup_ratio: 0.1 };

describe('warmup', () => {
  it('is ceil(ratio × total) steps, as transformers computes it', () => {
    expect(warmupSteps(100, 0.1)).toBe(10);
    expect(warmupSteps(573, 0.03)).toBe(18); // 17.19 → 18
    expect(warmupSteps(50, 0)).toBe(0);
  });

  it('rises linearly from 0 and reaches the peak exactly at the warmup boundary', () => {
    expect(lrAt(0, 100, cosine)).toBe(0);
    expect(lrAt(5, 100, cosine)).toBeCloseTo(LR / 2, 12);
    expect(lrAt(9, 100, cosine)).toBeCloseTo(0.9 * LR, 12);
    expect(lrAt(10, 100, cosine)).toBeCloseTo(LR, 12);
    expect(lrAt(11, 100, cosine)).toBeLessThan(LR);
  });

  it('no warmup: the first step trains at the full rate', () => {
    expect(lrAt(0, 100, { ...cosine, warmup_ratio: 0 })).toBe(LR);
  });
});

describe('cosine', () => {
  it('is half-way down half-way through the decay, and ends at the minimum', () => {
    expect(lrAt(55, 100, cosine)).toBeCloseTo(LR / 2, 12); // W=10, progress (55-10)/90 = 0.5
    expect(lrAt(100, 100, cosine)).toBeCloseTo(0, 15);
    expect(lrAt(99, 100, cosine)).toBeGreaterThan(0);
    expect(lrAt(99, 100, cosine)).toBeLessThan(LR * 0.001);
  });

  it('with min_lr_ratio decays to that share of the peak, never below', () => {
    const withFloor = { ...cosine, min_lr_ratio: 0.1 };
    expect(lrAt(100, 100, withFloor)).toBeCloseTo(0.1 * LR, 15);
    expect(lrAt(55, 100, withFloor)).toBeCloseTo(LR * (0.1 + 0.9 * 0.5), 12);
    expect(Math.min(...lrSchedule(100, withFloor).slice(10))).toBeGreaterThanOrEqual(0.1 * LR);
  });

  it('matches transformers get_cosine_schedule_with_warmup at an arbitrary step', () => {
    // total 573, warmup_ratio 0.03 → W = 18; step 200: 0.5 * (1 + cos(pi * 182 / 555))
    const expected = LR * 0.5 * (1 + Math.cos((Math.PI * 182) / 555));
    expect(lrAt(200, 573, { ...cosine, warmup_ratio: 0.03 })).toBeCloseTo(expected, 15);
  });

  it('steps past the end stay at the minimum', () => {
    expect(lrAt(150, 100, cosine)).toBe(lrAt(100, 100, cosine));
  });
});

describe('linear and constant', () => {
  it('linear falls in a straight line after warmup and ends at the minimum', () => {
    const lin: ScheduleConfig = { learning_rate: LR, scheduler: 'linear', warmup_ratio: 0.1 };
    expect(lrAt(55, 100, lin)).toBeCloseTo(LR / 2, 12);
    expect(lrAt(100, 100, lin)).toBe(0);
    const xs = lrSchedule(100, lin).slice(10);
    for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeLessThan(xs[i - 1]!);
    expect(lrAt(100, 100, { ...lin, min_lr_ratio: 0.25 })).toBeCloseTo(0.25 * LR, 15);
  });

  it('constant holds the peak after warmup', () => {
    const c: ScheduleConfig = { learning_rate: LR, scheduler: 'constant', warmup_ratio: 0.05 };
    expect(lrAt(2, 100, c)).toBeCloseTo((LR * 2) / 5, 12);
    expect(new Set(lrSchedule(100, c).slice(5))).toEqual(new Set([LR]));
  });
});

describe('inputs', () => {
  it('rejects negative or fractional steps and empty runs', () => {
    expect(() => lrAt(-1, 100, cosine)).toThrow(RangeError);
    expect(() => lrAt(1.5, 100, cosine)).toThrow('step must be an integer');
    expect(() => lrAt(0, 0, cosine)).toThrow('totalSteps must be an integer ≥ 1');
  });

  it('lrSchedule has one value per step and agrees with lrAt', () => {
    const s = lrSchedule(37, cosine);
    expect(s).toHaveLength(37);
    expect(s[20]).toBe(lrAt(20, 37, cosine));
  });
});
