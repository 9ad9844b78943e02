import { describe, expect, it } from '@jest/globals';
import { JsonLinesBuffer, keepLines } from '../src/index.js';

const values: unknown[] = [
  { row_id: 'a1', record: { text: 'plain', label: 'pos' } },
  { text: 'café naïve 東京 ラーメン 👍 "quoted" \\ back\nslash\ttab', n: 1.5 },
  { lone: '\ud800 half a pair', ctrl: '\u0000\u001f' },
  'a string',
  [1, null, true],
];
const expected = (vs: unknown[]) => Buffer.from(vs.map((v) => `${JSON.stringify(v)}\n`).join(''));

describe('JsonLinesBuffer', () => {
  it('writes the bytes JSON.stringify + "\\n" + UTF-8 give, and where each line ends', () => {
    const buf = new JsonLinesBuffer(8); // grows
    for (let k = 0; k < 50; k += 1) for (const v of values) buf.push(v);
    const all = Array.from({ length: 50 }, () => values).flat();
    expect(buf.lineCount).toBe(all.length);
    const { bytes, ends } = buf.take();
    expect(Buffer.from(bytes).equals(expected(all))).toBe(true);
    expect(ends).toHaveLength(all.length);
    expect(ends[ends.length - 1]).toBe(bytes.length);
    expect(buf.byteLength).toBe(0);
    expect(buf.take().bytes.length).toBe(0);
  });

  it('keepLines leaves out the lines not kept, in order', () => {
    const buf = new JsonLinesBuffer();
    for (const v of values) buf.push(v);
    const { bytes, ends } = buf.take();
    const kept = keepLines(bytes, ends, (i) => i % 2 === 0);
    expect(Buffer.from(kept).equals(expected(values.filter((_, i) => i % 2 === 0)))).toBe(true);
    expect(keepLines(bytes, ends, () => false).length).toBe(0);
  });
});
