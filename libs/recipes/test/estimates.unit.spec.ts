import { describe, expect, it } from '@jest/globals';
import {
  estimatePeakMemory,
  estimateStepSeconds,
  GiB,
  loraTrainableParameters,
  MiB,
  type HardwareProfile,
  type MemoryEstimateInput,
  type ModelShape,
} from '../src/index.js';
import { CPU_2_CORE, ONE_GPU, SMOLLM2_135M } from './fixtures.js';

/**
 * The feasibility study's presets (notes/cpu-training.md). The study gives parameter counts, batch and sequence
 * length; the shapes below are assumptions consistent with those counts (README: "Calibration").
 */
const PRESETS = {
  small: { shape: { parameters: 459_776, hidden_size: 64, layers: 8, heads: 4, vocab: 512, intermediate_size: 192 }, batch: 8, seq_len: 64 },
  medium: { shape: { parameters: 3_688_448, hidden_size: 256, layers: 4, heads: 8, vocab: 2048, intermediate_size: 688 }, batch: 16, seq_len: 128 },
  m27: { shape: { parameters: 27_402_240, hidden_size: 512, layers: 8, heads: 8, vocab: 4096, intermediate_size: 1376 }, batch: 8, seq_len: 128 },
} as const satisfies Record<string, { shape: ModelShape; batch: number; seq_len: number }>;
type Preset = keyof typeof PRESETS;

/** The study's LoRA: r = 8 on q_proj and v_proj. */
const input = (preset: Preset, method: 'full' | 'lora', extra: Partial<MemoryEstimateInput> = {}): MemoryEstimateInput => ({
  ...PRESETS[preset].shape,
  method,
  lora_r: 8,
  lora_target_modules: ['q_proj', 'v_proj'],
  precision: 'fp32',
  batch: PRESETS[preset].batch,
  seq_len: PRESETS[preset].seq_len,
  optimizer: 'adamw',
  ...extra,
});

/** ORT engine, 2 threads (notes §7): peak RSS in MB (read as MiB) and ms per step. */
const ORT_MEASURED: ReadonlyArray<{ preset: Preset; method: 'full' | 'lora'; rss_mb: number; ms: number }> = [
  { preset: 'small', method: 'lora', rss_mb: 160, ms: 11.5 },
  { preset: 'small', method: 'full', rss_mb: 207, ms: 23.3 },
  { preset: 'medium', method: 'lora', rss_mb: 751, ms: 254.7 },
  { preset: 'medium', method: 'full', rss_mb: 1006, ms: 413.2 },
  { preset: 'm27', method: 'lora', rss_mb: 1463, ms: 782.0 },
  { preset: 'm27', method: 'full', rss_mb: 1988, ms: 1422.7 },
];
/** The same engine on one thread (notes §7). */
const ORT_ONE_THREAD: ReadonlyArray<{ preset: Preset; ms: number }> = [
  { preset: 'small', ms: 31.1 },
  { preset: 'medium', ms: 753.6 },
];
/** PyTorch 1.13 on the same machine (notes §4). */
const TORCH_CPU_MEASURED: ReadonlyArray<{ preset: Preset; method: 'full' | 'lora'; rss_mb: number; ms: number }> = [
  { preset: 'small', method: 'lora', rss_mb: 279, ms: 23.7 },
  { preset: 'small', method: 'full', rss_mb: 285, ms: 32.2 },
  { preset: 'medium', method: 'lora', rss_mb: 797, ms: 963.7 },
  { preset: 'medium', method: 'full', rss_mb: 868, ms: 1040.0 },
];

const within = (estimate: number, measured: number, tolerance: number): void => {
  const error = Math.abs(estimate / measured - 1);
  if (error > tolerance) throw new Error(`estimate ${estimate.toFixed(1)} is ${(error * 100).toFixed(1)} % off the measured ${measured}`);
};
const ONE_THREAD: HardwareProfile = { ...CPU_2_CORE, cpu_cores: 1 };

describe('presets', () => {
  it('the assumed shapes have the parameter counts the study reports (0.47 M, 3.7 M, 27 M)', () => {
    const count = (s: ModelShape & { intermediate_size: number }) => s.vocab * s.hidden_size + s.layers * (4 * s.hidden_size ** 2 + 3 * s.hidden_size * s.intermediate_size + 2 * s.hidden_size);
    for (const [name, target] of [['small', 0.47e6], ['medium', 3.7e6], ['m27', 27e6]] as const) {
      expect(count(PRESETS[name].shape)).toBe(PRESETS[name].shape.parameters);
      within(PRESETS[name].shape.parameters, target, 0.03);
    }
  });
});

describe('estimatePeakMemory vs the measured table', () => {
  it.each(ORT_MEASURED)('ORT $method $preset: within ±35 % of $rss_mb MB', ({ preset, method, rss_mb }) => {
    within(estimatePeakMemory(input(preset, method)).total_bytes / MiB, rss_mb, 0.35);
  });

  it.each(TORCH_CPU_MEASURED)('PyTorch CPU $method $preset: within ±35 % of $rss_mb MB', ({ preset, method, rss_mb }) => {
    within(estimatePeakMemory(input(preset, method, { engine: 'torch', device: 'cpu' })).total_bytes / MiB, rss_mb, 0.35);
  });

  it('the fitted ORT constants stay within ±15 % of every figure (the README table; ±10 % noise in the measurements)', () => {
    for (const m of ORT_MEASURED) within(estimatePeakMemory(input(m.preset, m.method)).total_bytes / MiB, m.rss_mb, 0.15);
  });

  it('orders the six ORT runs as the measurements do', () => {
    const est = ORT_MEASURED.map((m) => estimatePeakMemory(input(m.preset, m.method)).total_bytes);
    const byEstimate = [...est.keys()].sort((a, b) => est[a]! - est[b]!);
    const byMeasured = [...ORT_MEASURED.keys()].sort((a, b) => ORT_MEASURED[a]!.rss_mb - ORT_MEASURED[b]!.rss_mb);
    expect(byEstimate).toEqual(byMeasured);
  });
});

describe('estimatePeakMemory: breakdown and behaviour', () => {
  it('the breakdown adds up to the total and names each part', () => {
    const e = estimatePeakMemory(input('medium', 'full'));
    const b = e.breakdown;
    expect(b.weights + b.gradients + b.optimizer_state + b.activations + b.logits + b.runtime_overhead).toBe(e.total_bytes);
    expect(b.gradients).toBe(3_688_448 * 4);
    expect(b.optimizer_state).toBe(3_688_448 * 20);
    expect(e.profile).toBe('ort-cpu');
  });

  it('LoRA trains r·(in + out) per adapted layer and keeps no full-size optimizer state', () => {
    const shape = PRESETS.small.shape;
    expect(loraTrainableParameters(shape, 8, ['q_proj', 'v_proj'])).toBe(8 * 2 * 8 * (64 + 64));
    expect(loraTrainableParameters(shape, 8, ['down_proj'])).toBe(8 * 8 * (192 + 64));
    const lora = estimatePeakMemory(input('m27', 'lora'));
    expect(lora.trainable_parameters).toBe(8 * 2 * 8 * (512 + 512));
    expect(lora.breakdown.optimizer_state).toBe(lora.trainable_parameters * 20);
    expect(estimatePeakMemory(input('m27', 'lora', { trainable_parameters: 1000 })).breakdown.gradients).toBe(4000);
  });

  it('grows with batch and sequence length; full > LoRA; DPO adds a reference model and a second sequence', () => {
    const m = (x: Partial<MemoryEstimateInput>, method: 'full' | 'lora' = 'full') => estimatePeakMemory(input('medium', method, x)).total_bytes;
    expect(m({ batch: 32 })).toBeGreaterThan(m({ batch: 16 }));
    expect(m({ seq_len: 256 })).toBeGreaterThan(m({ seq_len: 128 }));
    expect(m({})).toBeGreaterThan(m({}, 'lora'));
    const dpo = estimatePeakMemory({ ...input('medium', 'full'), method: 'dpo' });
    const full = estimatePeakMemory(input('medium', 'full'));
    expect(dpo.breakdown.weights).toBe(full.breakdown.weights + 3_688_448 * 4);
    expect(Math.abs(dpo.breakdown.activations - 2 * full.breakdown.activations)).toBeLessThanOrEqual(1);
  });

  it('a GPU run is estimated as torch on CUDA: bf16 halves weights and activations, AdamW state stays 16 B per weight', () => {
    const shape = { ...SMOLLM2_135M, heads: 9, method: 'full' as const, batch: 8, seq_len: 1024 };
    const bf16 = estimatePeakMemory({ ...shape, precision: 'bf16', device: 'cuda' });
    const fp32 = estimatePeakMemory({ ...shape, precision: 'fp32', device: 'cuda' });
    expect(bf16.profile).toBe('torch-cuda');
    expect(bf16.breakdown.weights * 2).toBe(fp32.breakdown.weights);
    expect(bf16.breakdown.activations * 2).toBe(fp32.breakdown.activations);
    expect(bf16.breakdown.gradients + bf16.breakdown.optimizer_state).toBe(fp32.breakdown.gradients + fp32.breakdown.optimizer_state);
    expect(bf16.total_bytes).toBeLessThan(40 * GiB);
  });

  it('rejects impossible shapes and other optimizers', () => {
    expect(() => estimatePeakMemory(input('small', 'full', { batch: 0 }))).toThrow('batch must be a positive number');
    expect(() => estimatePeakMemory({ ...input('small', 'full'), optimizer: 'sgd' as 'adamw' })).toThrow('adamw');
  });
});

describe('estimateStepSeconds vs the measured table', () => {
  it.each(ORT_MEASURED)('ORT $method $preset, 2 threads: within ±35 % of $ms ms', ({ preset, method, ms }) => {
    within(estimateStepSeconds(input(preset, method), CPU_2_CORE) * 1000, ms, 0.35);
  });

  it.each(ORT_ONE_THREAD)('ORT full $preset, 1 thread: within ±35 % of $ms ms', ({ preset, ms }) => {
    within(estimateStepSeconds(input(preset, 'full'), ONE_THREAD) * 1000, ms, 0.35);
  });

  it.each(TORCH_CPU_MEASURED)('PyTorch CPU $method $preset: within ±35 % of $ms ms', ({ preset, method, ms }) => {
    within(estimateStepSeconds(input(preset, method, { engine: 'torch' }), CPU_2_CORE) * 1000, ms, 0.35);
  });

  it('the fitted ORT constants stay within ±15 % of every step time', () => {
    for (const m of ORT_MEASURED) within(estimateStepSeconds(input(m.preset, m.method), CPU_2_CORE) * 1000, m.ms, 0.15);
    for (const m of ORT_ONE_THREAD) within(estimateStepSeconds(input(m.preset, 'full'), ONE_THREAD) * 1000, m.ms, 0.15);
  });

  it('more cores, shorter steps; a GPU is far faster than the CPU', () => {
    const shape = input('m27', 'full');
    // the compute part scales as cores^0.9; the per-parameter update cost does not
    expect(estimateStepSeconds(shape, { ...CPU_2_CORE, cpu_cores: 8 })).toBeLessThan(estimateStepSeconds(shape, CPU_2_CORE) / 2);
    expect(estimateStepSeconds(input('m27', 'lora'), { ...CPU_2_CORE, cpu_cores: 8 })).toBeLessThan(estimateStepSeconds(input('m27', 'lora'), CPU_2_CORE) / 3);
    const gpu = estimateStepSeconds({ ...shape, precision: 'bf16' }, ONE_GPU);
    expect(gpu).toBeLessThan(estimateStepSeconds(shape, CPU_2_CORE) / 20);
    // forcing the ORT engine keeps the CPU estimate even when a GPU is present
    expect(estimateStepSeconds({ ...shape, engine: 'ort' }, ONE_GPU)).toBeGreaterThan(gpu * 5);
  });
});
