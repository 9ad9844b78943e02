/**
 * The known-fix registry covers every failure code: adding a reason code that may carry severity error or critical
 * without a hint fails here, so the failure-cluster views never show a cluster without advice.
 */
import { describe, expect, it } from '@jest/globals';
import { FAILURE_REASON_CODES, KNOWN_FIXES, REASON_CODES, REASON_CODE_LIST, isFailureCode, knownFixOf, type ReasonCode } from '../src/index.js';

describe('known-fix registry', () => {
  it('has a hint for every reason code whose severities include error or critical', () => {
    const missing = REASON_CODE_LIST.filter((c) => REASON_CODES[c].severities.some((s) => s === 'error' || s === 'critical')).filter((c) => !KNOWN_FIXES[c]);
    expect(missing).toEqual([]);
  });

  it('has no hint for a code that never fails (a hint there is dead, or the severities are wrong)', () => {
    const extra = (Object.keys(KNOWN_FIXES) as ReasonCode[]).filter((c) => !isFailureCode(c));
    expect(extra).toEqual([]);
  });

  it('gives each hint a one-sentence cause and at least one non-empty thing to try', () => {
    for (const code of FAILURE_REASON_CODES) {
      const fix = KNOWN_FIXES[code]!;
      expect([code, fix.cause.length > 10, /\.$/.test(fix.cause)]).toEqual([code, true, true]);
      expect([code, fix.try.length > 0, fix.try.every((t) => t.trim().length > 5)]).toEqual([code, true, true]);
    }
  });

  it('lists the failure codes in registry order and looks hints up by code', () => {
    expect(FAILURE_REASON_CODES).toEqual(expect.arrayContaining(['training_oom', 'cleaning_pii_block', 'system_config_invalid', 'demo_run_failed']));
    expect(FAILURE_REASON_CODES).not.toContain('training_completed');
    expect(FAILURE_REASON_CODES.map((c) => REASON_CODE_LIST.indexOf(c))).toEqual([...FAILURE_REASON_CODES.map((c) => REASON_CODE_LIST.indexOf(c))].sort((a, b) => a - b));
    expect(knownFixOf('training_oom')?.try.join(' ')).toMatch(/batch\.per_device.*LoRA.*max_seq_len/s);
    expect(knownFixOf('training_oom')?.try.join(' ')).toMatch(/grad_accum/);
    expect(knownFixOf('training_completed')).toBeUndefined();
    expect(knownFixOf('not_a_code')).toBeUndefined();
    expect(knownFixOf('toString')).toBeUndefined();
  });
});
