import { decodeSafetensors, encodeSafetensors, type Tensor } from '@distillery/models';
import type { EngineMethod, RunState, TrainingRun } from './engine.js';
import { EngineCheckpointError } from './errors.js';

/**
 * A run's checkpoint as one safetensors file: the trainable tensors under their own names (HF names, PEFT names for
 * adapters), AdamW's moments as `optimizer.exp_avg.<name>` and `optimizer.exp_avg_sq.<name>` (torch's names), and
 * `__metadata__` {format, version, step, method, seed}. All F32, so a restored run continues bit for bit.
 */

export const CHECKPOINT_FORMAT = 'distillery-engine-checkpoint';
export const CHECKPOINT_VERSION = '1';
const M_PREFIX = 'optimizer.exp_avg.';
const V_PREFIX = 'optimizer.exp_avg_sq.';

export interface EngineCheckpoint extends RunState {
  readonly method: EngineMethod;
  readonly seed: number;
  /** The whole `__metadata__`, extra keys included. */
  readonly metadata: Readonly<Record<string, string>>;
}

export function saveCheckpoint(run: Pick<TrainingRun, 'state' | 'method' | 'seed'>, extraMetadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const s = run.state();
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of s.params) tensors.set(name, t);
  for (const [name, t] of s.m) tensors.set(`${M_PREFIX}${name}`, t);
  for (const [name, t] of s.v) tensors.set(`${V_PREFIX}${name}`, t);
  const metadata = { ...extraMetadata, format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step: String(s.step), method: run.method, seed: String(run.seed) };
  return encodeSafetensors(tensors, { metadata });
}

export function loadCheckpoint(bytes: Uint8Array): EngineCheckpoint {
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes, '<checkpoint>');
  } catch (err) {
    throw new EngineCheckpointError(`not a safetensors checkpoint: ${(err as Error).message}`, { cause: err });
  }
  const md = decoded.metadata;
  if (md['format'] !== CHECKPOINT_FORMAT) throw new EngineCheckpointError(`metadata.format is ${JSON.stringify(md['format'])}, expected '${CHECKPOINT_FORMAT}'`);
  if (md['version'] !== CHECKPOINT_VERSION) throw new EngineCheckpointError(`checkpoint version ${JSON.stringify(md['version'])} is not supported (expected ${CHECKPOINT_VERSION})`);
  const step = Number(md['step']);
  const seed = Number(md['seed']);
  const method = md['method'] as EngineMethod;
  if (!Number.isInteger(step) || step < 0 || !Number.isInteger(seed) || !['full', 'lora', 'dpo'].includes(method)) {
    throw new EngineCheckpointError(`metadata ${JSON.stringify({ step: md['step'], seed: md['seed'], method: md['method'] })} is invalid`);
  }
  const params = new Map<string, Tensor>();
  const m = new Map<string, Tensor>();
  const v = new Map<string, Tensor>();
  for (const [name, t] of decoded.tensors) {
    if (t.dtype !== 'F32') throw new EngineCheckpointError(`tensor ${name} is ${t.dtype}; checkpoints are F32`);
    const tensor = { shape: t.shape, data: t.data };
    if (name.startsWith(M_PREFIX)) m.set(name.slice(M_PREFIX.length), tensor);
    else if (name.startsWith(V_PREFIX)) v.set(name.slice(V_PREFIX.length), tensor);
    else params.set(name, tensor);
  }
  for (const name of params.keys()) {
    if (!m.has(name) || !v.has(name)) throw new EngineCheckpointError(`tensor ${name} has no optimizer moments`);
  }
  if (m.size !== params.size || v.size !== params.size) throw new EngineCheckpointError('optimizer moments without a matching tensor');
  return { step, seed, method, params, m, v, metadata: md };
}
