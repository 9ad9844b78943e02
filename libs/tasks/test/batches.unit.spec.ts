import { describe, expect, it } from '@jest/globals';
import { batchSchedule, bucketFor, defaultBuckets, IGNORE_INDEX, padBatch } from '../src/index.js';

describe('batch schedule', () => {
  it('covers every example once per epoch, in a seeded order', () => {
    const s = batchSchedule(100, { batch: 8, epochs: 2, seed: 7 });
    expect(s.steps_per_epoch).toBe(12);
    expect(s.total_steps).toBe(24);
    const epoch0 = Array.from({ length: 12 }, (_, i) => s.indicesAt(i)).flat();
    expect(new Set(epoch0).size).toBe(96);
    const epoch1 = Array.from({ length: 12 }, (_, i) => s.indicesAt(12 + i)).flat();
    expect(epoch1).not.toEqual(epoch0);
    expect(epoch0.slice(0, 8)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('is a pure function of the step: a resumed run sees the same batches', () => {
    const a = batchSchedule(50, { batch: 4, epochs: 3, seed: 1 });
    const b = batchSchedule(50, { batch: 4, epochs: 3, seed: 1 });
    const late = [30, 5, 17].map((k) => b.indicesAt(k));
    expect(late).toEqual([30, 5, 17].map((k) => a.indicesAt(k)));
    expect(batchSchedule(50, { batch: 4, epochs: 3, seed: 2 }).indicesAt(0)).not.toEqual(a.indicesAt(0));
    expect(() => a.indicesAt(a.total_steps)).toThrow(/outside the schedule/);
  });

  it('caps steps and handles a dataset smaller than a batch', () => {
    expect(batchSchedule(1000, { batch: 10, epochs: 5, seed: 0, max_steps: 40 }).total_steps).toBe(40);
    const tiny = batchSchedule(3, { batch: 8, epochs: 2, seed: 0 });
    expect(tiny.indicesAt(0).sort()).toEqual([0, 1, 2]);
    expect(tiny.total_steps).toBe(2);
  });
});

describe('padding and buckets', () => {
  it('pads ids, masks padded labels, counts trained tokens', () => {
    const b = padBatch(
      [
        { row_id: 'a', input_ids: [5, 6, 7], labels: [IGNORE_INDEX, 6, 7], original_length: 3, truncated: false },
        { row_id: 'b', input_ids: [9], labels: [9], original_length: 1, truncated: false },
      ],
      4,
      0,
    );
    expect([...b.input_ids]).toEqual([5, 6, 7, 0, 9, 0, 0, 0]);
    expect([...b.labels]).toEqual([IGNORE_INDEX, 6, 7, IGNORE_INDEX, 9, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]);
    expect([...b.attention_mask]).toEqual([1, 1, 1, 0, 1, 0, 0, 0]);
    expect(b.trained_tokens).toBe(3);
  });

  it('buckets by powers of two up to the max length', () => {
    expect(defaultBuckets(200)).toEqual([32, 64, 128, 200]);
    expect(bucketFor(33, defaultBuckets(200))).toBe(64);
    expect(bucketFor(500, defaultBuckets(200))).toBe(200);
  });
});
