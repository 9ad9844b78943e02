import { describe, expect, it } from '@jest/globals';
import { judgeMessages, parseRating } from '../src/judge.js';

describe('the LLM judge’s reply', () => {
  it('parses one integer 0–10 in the usual wrappers', () => {
    for (const [reply, n] of [['7', 7], [' 10\n', 10], ['0', 0], ['**6**', 6], ['"8"', 8], ['9.', 9], ['4/10', 4], ['3 out of 10', 3], ['Rating: 5', 5], ['score=2', 2]] as const) expect(parseRating(reply)).toBe(n);
  });

  it('does not guess: words around it, two numbers, a fraction or out of range are unparseable', () => {
    for (const reply of ['', 'no idea', '7 or 8', 'I would say 7', '7.5', '11', '-1', '7/8', 'seven']) expect(parseRating(reply)).toBeNull();
  });

  it('asks for a single integer, with the reference, the prediction and the criteria', () => {
    const [system, user] = judgeMessages({ row_id: 'r', prompt: 'Q?', references: ['yes'], prediction: 'no' }, 'be strict');
    expect(system!.content).toMatch(/ONE integer from 0 to 10 and nothing else/);
    expect(system!.content).toMatch(/be strict/);
    expect(user!.content).toBe('Input:\nQ?\n\nReference answer:\nyes\n\nModel answer:\nno\n\nRating (one integer 0-10):');
  });
});
