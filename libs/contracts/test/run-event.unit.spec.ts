import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DISTILLERY_VERSION,
  REASON_CODES,
  REASON_CODE_LIST,
  STAGES,
  oneLineSummary,
  renderReasonCodesDoc,
  SUMMARY_MAX,
  validateRunEvent,
  type RunEvent,
} from '../src/index.js';

const root = join(import.meta.dirname, '..', '..', '..');

const valid: RunEvent = {
  id: '0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
  project_id: 'acme',
  run_id: 'exp-42',
  parent_run_id: null,
  stage: 'training',
  reason_code: 'training_progress',
  severity: 'info',
  actor: 'service:trainer',
  summary: 'step 10/100 loss 2.31',
  payload: { step: 10, total_steps: 100, loss: 2.31 },
  occurred_at: '2026-11-22T10:00:00.000Z',
  correlation_id: '0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b',
  causation_id: null,
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  span_id: '00f067aa0ba902b7',
  producer: 'trainer@0.1.0',
  schema_version: 1,
};

describe('validateRunEvent', () => {
  it('accepts a valid event', () => {
    expect(validateRunEvent(valid)).toEqual({ ok: true, value: valid });
  });

  it.each([
    [{ reason_code: 'made_up' }, /reason_code: unknown reason code 'made_up'/],
    [{ stage: 'export' }, /stage: 'training_progress' belongs to stage 'training', not 'export'/],
    [{ severity: 'critical' }, /severity: 'training_progress' allows info, not 'critical'/],
    [{ payload: { step: -1 } }, /payload\.step/],
    [{ payload: {} }, /payload\.step/],
    [{ id: 'not-a-uuid' }, /^id:/],
    [{ run_id: 'exp.42' }, /run_id/],
    [{ actor: 'trainer' }, /actor/],
    [{ summary: 'two\nlines' }, /summary must be one line/],
    [{ occurred_at: 'yesterday' }, /occurred_at/],
    [{ trace_id: 'xyz' }, /trace_id/],
    [{ producer: 'Trainer' }, /producer/],
    [{ schema_version: 2 }, /schema_version/],
  ])('rejects %j naming what is wrong', (override, message) => {
    const r = validateRunEvent({ ...valid, ...override });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.errors.join('\n')).toMatch(message);
  });

  it('rejects non-objects', () => {
    expect(validateRunEvent('{"id":1}').ok).toBe(false);
    expect(validateRunEvent(null).ok).toBe(false);
  });
});

describe('oneLineSummary', () => {
  it('collapses line breaks of an error message and cuts to the maximum with an ellipsis', () => {
    expect(oneLineSummary('out of memory: Failed to allocate\n  buffer of size 64\r\n')).toBe('out of memory: Failed to allocate buffer of size 64');
    const long = oneLineSummary('x'.repeat(SUMMARY_MAX + 20));
    expect(long).toHaveLength(SUMMARY_MAX);
    expect(long.endsWith('…')).toBe(true);
    expect(oneLineSummary('short')).toBe('short');
  });
});

describe('the reason-code registry', () => {
  it('holds the starting taxonomy of the design, each code in its stage', () => {
    const expected: Record<string, string[]> = {
      ingestion: ['dataset_import_requested', 'dataset_import_run', 'dataset_import_failed', 'ingest_unsupported_format', 'ingest_io_error', 'ingest_validation_failed', 'ingest_source_unreachable'],
      cleaning: ['cleaning_requested', 'cleaning_completed', 'cleaning_outlier_threshold_exceeded', 'cleaning_pii_block', 'cleaning_failed'],
      preparation: ['dataset_prep_requested', 'dataset_prepared', 'dataset_prep_failed', 'dataset_leakage_detected'],
      training: ['training_requested', 'preflight_passed', 'preflight_warning', 'training_dispatch_error', 'training_started', 'training_progress', 'training_checkpoint_saved', 'training_completed', 'training_oom', 'training_runtime_error', 'training_timeout', 'training_cancel_requested', 'training_cancelled'],
      eval: ['eval_requested', 'eval_completed', 'eval_progress', 'eval_runtime_error', 'eval_judge_unavailable', 'eval_dataset_missing'],
      export: ['export_requested', 'export_completed', 'export_run_failed', 'export_artifact_missing', 'export_quantization_failed', 'export_parity_failed'],
      deployment: ['deployment_requested', 'deployment_created', 'deployment_promoted', 'deployment_rejected', 'deployment_rolled_back', 'deployment_smoke_failed', 'deployment_promote_blocked', 'deployment_rollback_no_predecessor', 'deployment_drift_checked', 'deployment_drift_detected', 'deployment_promote_requested', 'deployment_rollback_requested', 'deployment_reject_requested', 'deployment_drift_check_requested', 'deployment_request_invalid'],
      system: ['event_schema_invalid', 'system_config_invalid', 'extension_load_failed', 'extension_contract_invalid'],
    };
    for (const [stage, codes] of Object.entries(expected)) {
      for (const code of codes) expect([code, REASON_CODES[code as keyof typeof REASON_CODES]?.stage]).toEqual([code, stage]);
    }
  });

  it('gives every code a known stage, at least one severity, a payload schema and a one-line meaning', () => {
    for (const code of REASON_CODE_LIST) {
      const spec = REASON_CODES[code];
      expect(STAGES).toContain(spec.stage);
      expect(spec.severities.length).toBeGreaterThan(0);
      expect(typeof spec.payload.safeParse).toBe('function');
      expect(spec.meaning).toMatch(/^[A-Z].*\.$/);
      expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
    }
  });

  it('docs/reason-codes.md is generated from the registry and up to date (run `npm run docs:reason-codes`)', () => {
    const committed = readFileSync(join(root, 'docs', 'reason-codes.md'), 'utf8');
    expect(committed).toBe(renderReasonCodesDoc());
  });

  it('stamps producers with the package.json version', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(DISTILLERY_VERSION).toBe(pkg.version);
  });
});
