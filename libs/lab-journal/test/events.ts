import { v7 as uuidv7 } from 'uuid';
import { REASON_CODES, validateRunEvent, type ReasonCode, type RunEvent } from '@distillery/contracts';

const ref = (c: string) => ({ uri: `artifact://sha256/${c.repeat(64)}`, sha256: c.repeat(64), bytes: 1, media_type: 'application/octet-stream' });

/** Valid payloads of the codes the journal reads (each checked against the contracts' schema by `event`). */
export const PAYLOADS = {
  dataset_import_requested: (o: { saved_mapping_id?: string } = {}) => ({ locator: 'csv:/data/a.csv', mapper_id: 'label_to_classification', field_map: { text: 'text', label: 'label' }, task_profile: 'classification', selection: 'explicit', ...o }),
  mapping_saved: (id: string) => ({ saved_mapping_id: id, name: id, locator: 'csv:/data/a.csv', mapper_id: 'label_to_classification', field_map: { text: 'text' }, drop_reasons: [] }),
  dataset_import_run: (resolved: string, accepted = 10) => ({
    locator: `csv:${resolved}`, resolved, mapper_id: 'label_to_classification', task_profile: 'classification', dataset_id: 'ds', rows_read: accepted + 1, rows_accepted: accepted, rows_rejected: 1, rows_duplicate: 0, rejections: { empty_text: 1 }, accepted_ref: ref('a'), rejected_ref: ref('b'),
  }),
  cleaning_completed: () => ({ rows_in: 10, rows_out: 9 }),
  dataset_prepared: () => ({ manifest_ref: ref('c'), counts: { train: 8, eval: 1, gold: 1 } }),
  training_requested: (base_model: string, method = 'lora') => ({ base_model, recipe: { recipe_version: 1, base_model, method } }),
  training_dispatched: (method = 'lora') => ({ plan_ref: ref('d'), engine: 'ort', total_steps: 10, method }),
  training_oom: () => ({ step: 3, failure: { error_class: 'EngineOomError', message: 'out of memory' } }),
  training_completed: (method = 'lora') => ({ model_ref: ref('e'), engine: 'ort', method, steps: 10 }),
  eval_completed: (promotable: boolean, metrics: Record<string, number> = { accuracy: 0.8 }) => ({ metrics, promotable }),
  export_completed: (quantization: string) => ({ format: 'gguf', bundle_ref: ref('f'), quantization }),
  deployment_promoted: (version = 1) => ({ version, slot: 'default' }),
  deployment_rolled_back: () => ({ from_version: 2, to_version: 1, slot: 'default' }),
} as const;

let clock = Date.parse('2026-11-22T09:00:00Z');

/** A RunEvent as the publisher would write it, validated against the contracts (so a payload typo fails the test). */
export function event(code: ReasonCode, payload: unknown, o: { run?: string; parent?: string | null; actor?: string; project?: string; id?: string } = {}): RunEvent {
  const spec = REASON_CODES[code];
  clock += 1_000;
  const e = {
    id: o.id ?? uuidv7(),
    schema_version: 1,
    project_id: o.project ?? 'lab',
    run_id: o.run ?? 'run-1',
    parent_run_id: o.parent ?? null,
    stage: spec.stage,
    reason_code: code,
    severity: spec.severities[0],
    actor: o.actor ?? 'user:ada',
    summary: `${code} happened`,
    payload,
    occurred_at: new Date(clock).toISOString(),
    correlation_id: 'c',
    causation_id: null,
    trace_id: null,
    span_id: null,
    producer: 'test@1',
  };
  const v = validateRunEvent(e);
  if (!v.ok) throw new Error(`test event ${code} is not valid: ${v.errors.join('; ')}`);
  return v.value;
}
