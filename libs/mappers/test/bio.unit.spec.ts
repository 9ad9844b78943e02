import { describe, expect, it } from '@jest/globals';
import { decodeBio } from '../src/index.js';

const spans = (tokens: string[], tags: string[], mode?: 'repair' | 'strict') => {
  const r = decodeBio(tokens, tags, mode);
  return r.ok ? r.spans.map((s) => `${s.type}:${s.text}`) : r.detail;
};

describe('decodeBio', () => {
  it('decodes IOB2', () => {
    expect(spans(['Ada', 'Lovelace', 'met', 'Charles', 'in', 'London'], ['B-PER', 'I-PER', 'O', 'B-PER', 'O', 'B-LOC'])).toEqual([
      'PER:Ada Lovelace',
      'PER:Charles',
      'LOC:London',
    ]);
  });

  it('splits adjacent spans of the same type at B-', () => {
    expect(spans(['Paris', 'London'], ['B-LOC', 'B-LOC'])).toEqual(['LOC:Paris', 'LOC:London']);
  });

  it('closes a span when the type changes', () => {
    expect(spans(['New', 'York', 'Times'], ['B-LOC', 'I-LOC', 'I-ORG'])).toEqual(['LOC:New York', 'ORG:Times']);
    expect(decodeBio(['New', 'York', 'Times'], ['B-LOC', 'I-LOC', 'I-ORG'])).toMatchObject({ ok: true, repaired: 1 });
  });

  it('decodes IOBES and BILOU', () => {
    expect(spans(['a', 'b', 'c', 'd'], ['S-X', 'B-Y', 'E-Y', 'O'])).toEqual(['X:a', 'Y:b c']);
    expect(spans(['a', 'b', 'c'], ['U-X', 'B-Y', 'L-Y'])).toEqual(['X:a', 'Y:b c']);
  });

  it('accepts an underscore after the prefix', () => {
    expect(spans(['Oslo'], ['B_LOC'])).toEqual(['LOC:Oslo']);
  });

  it('repairs an orphan I- by default and counts it; strict mode refuses', () => {
    const r = decodeBio(['in', 'Oslo'], ['O', 'I-LOC']);
    expect(r.ok && r.repaired).toBe(1);
    expect(spans(['in', 'Oslo'], ['O', 'I-LOC'])).toEqual(['LOC:Oslo']);
    expect(spans(['in', 'Oslo'], ['O', 'I-LOC'], 'strict')).toBe("tag 'I-LOC' at token 1 follows 'O', not a LOC span");
    expect(spans(['Oslo'], ['I-LOC'], 'strict')).toBe("tag 'I-LOC' at token 0 follows the start, not a LOC span");
  });

  it('rejects tags that are not BIO', () => {
    expect(spans(['a'], ['PER'])).toBe('tag "PER" at token 0 is not a BIO tag');
    expect(spans(['a'], ['X-PER'])).toMatch(/not a BIO tag/);
  });

  it('gives character offsets into the space-joined text and token offsets, end exclusive', () => {
    const r = decodeBio(['I', 'love', 'New', 'York', '!'], ['O', 'O', 'B-LOC', 'I-LOC', 'O']);
    expect(r.ok && r.text).toBe('I love New York !');
    expect(r.ok && r.spans).toEqual([{ type: 'LOC', start: 7, end: 15, text: 'New York', token_start: 2, token_end: 4 }]);
  });

  it('handles an all-O sentence and a span at the very end', () => {
    expect(spans(['a', 'b'], ['O', 'O'])).toEqual([]);
    expect(spans(['a', 'b'], ['O', 'B-X'])).toEqual(['X:b']);
  });
});
