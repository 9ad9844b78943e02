import { describe, expect, it } from '@jest/globals';
import { stripVTControlCharacters } from 'node:util';
import { renderLineage } from '../src/commands/datasets.js';

describe('rows explain rendering', () => {
  it("shows a row's tokenization per training run: tokens, trained tokens, and the cut when max_seq_len truncated it", () => {
    const base = { run_id: 'train-1', occurred_at: '2026-11-22T07:00:00.000Z', seq: 9 };
    const text = stripVTControlCharacters(
      renderLineage('ab'.repeat(16), [
        { ...base, stage: 'training', outcome: 'truncated', reason: 'longer_than_max_seq_len', detail: { split: 'train', max_seq_len: 64, tokens: 64, trained_tokens: 3, original_length: 97, truncated: true } },
        { ...base, stage: 'training', outcome: 'tokenized', reason: null, detail: { split: 'eval', max_seq_len: 64, chosen: { tokens: 20, trained_tokens: 5, original_length: 20, truncated: false }, rejected: { tokens: 22, trained_tokens: 7, original_length: 22, truncated: false } } },
      ]),
    );
    expect(text).toContain('✗ training     truncated (longer_than_max_seq_len)');
    expect(text).toContain('train shard: 64 tokens (3 trained), cut from 97 to max_seq_len 64');
    expect(text).toContain('✓ training     tokenized');
    expect(text).toContain('eval shard: chosen: 20 tokens (5 trained), max_seq_len 64');
    expect(text).toContain('eval shard: rejected: 22 tokens (7 trained), max_seq_len 64');
  });
});
