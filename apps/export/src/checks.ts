import type { ParityMismatch, ParityResult, SmokeResult } from './errors.js';
import { isQuantized, type Quantization } from './formats.js';
import { promptText, type CheckPrompt } from './prompts.js';
import type { CheckRuntime, Decoded } from './runtime.js';

/**
 * Tolerances of the teacher-forced parity check of quantized GGUF exports, over every position of the gold prompts
 * and the trained model's greedy answers. Set from libs/gguf's measured figures (its README: Q8_0 98.4 % top-1,
 * mean |Δ log p| 1.1e-2; Q4_0 92.0 %, 5.5e-2, on a model trained 150 steps) with headroom for other models and short
 * answers: a bundle outside them does not behave like the trained model.
 */
export const QUANTIZED_TOLERANCE: Readonly<Record<'q8_0' | 'q4_0' | 'q4_k_m', { readonly minTop1: number; readonly maxMeanAbsDiff: number }>> = {
  q8_0: { minTop1: 0.95, maxMeanAbsDiff: 0.05 },
  q4_0: { minTop1: 0.85, maxMeanAbsDiff: 0.25 },
  q4_k_m: { minTop1: 0.85, maxMeanAbsDiff: 0.25 },
};

/**
 * The smoke check: the bundle loaded in its runtime generated for every gold prompt. It fails when a prompt gets an
 * empty answer, or when no prompt ever ends on a stop token (every row reached the token limit: a model that
 * "never stops", the commonest complaint about exported models). Loading failures are reported by the caller.
 */
export function smokeCheck(outputs: readonly Decoded[], maxNewTokens: number, runtime: string): SmokeResult {
  const rows = outputs.length;
  const stopped = outputs.filter((o) => o.finishReason === 'stop').length;
  const empty = outputs.filter((o) => o.text.trim() === '').length;
  const longest = Math.max(0, ...outputs.map((o) => o.tokenIds.length));
  const problems = [
    ...(rows === 0 ? ['no prompt was run'] : []),
    ...(rows > 0 && stopped === 0 ? [`generation never stops: all ${rows} prompts reached the ${maxNewTokens}-token limit`] : []),
    ...(empty > 0 ? [`${empty}/${rows} answers are empty`] : []),
  ];
  const summary = `${runtime}: ${rows} gold prompts, ${stopped} stopped on a stop token, ${empty} empty, longest ${longest} tokens`;
  return { passed: problems.length === 0, detail: problems.length === 0 ? summary : `${problems.join('; ')} (${summary})`, rows, stopped, empty };
}

const sameIds = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const show = (o: Decoded): string => `${JSON.stringify(o.text)} [${o.tokenIds.join(' ')}] (${o.finishReason})`;

export interface ParityInputs {
  readonly prompts: readonly CheckPrompt[];
  /** Prompt ids as the trained model's tokenizer and the bundle's render them. */
  readonly referenceIds: readonly (readonly number[])[];
  readonly exportIds: readonly (readonly number[])[];
  readonly reference: readonly Decoded[];
  readonly exported: readonly Decoded[];
}

export interface ParityOutcome {
  readonly result: ParityResult;
  readonly mismatch?: ParityMismatch;
}

/** The first prompt whose rendering or greedy output differs, with both outputs. */
function firstMismatch(p: ParityInputs): ParityMismatch | undefined {
  for (const [i, prompt] of p.prompts.entries()) {
    const ref = p.reference[i] as Decoded;
    const got = p.exported[i] as Decoded;
    if (!sameIds(p.referenceIds[i] as number[], p.exportIds[i] as number[])) {
      return { prompt_index: i, row_id: prompt.row_id, prompt: promptText(prompt), expected: `prompt tokens [${p.referenceIds[i]!.join(' ')}]`, actual: `prompt tokens [${p.exportIds[i]!.join(' ')}] (the bundle's tokenizer or chat template renders it differently)` };
    }
    if (!sameIds(ref.tokenIds, got.tokenIds)) return { prompt_index: i, row_id: prompt.row_id, prompt: promptText(prompt), expected: show(ref), actual: show(got) };
  }
  return undefined;
}

/**
 * Unquantized exports (hf, peft, onnx, gguf f32 / f16): the greedy outputs must be the trained model's, token for
 * token, on every gold prompt (and the prompts must tokenize the same). |Δ log p| of the generated tokens is reported.
 */
export function exactParity(p: ParityInputs): ParityOutcome {
  const mismatch = firstMismatch(p);
  let identical = 0;
  let max = 0;
  let sum = 0;
  let n = 0;
  for (const [i, ref] of p.reference.entries()) {
    const got = p.exported[i] as Decoded;
    if (!sameIds(ref.tokenIds, got.tokenIds) || !sameIds(p.referenceIds[i] as number[], p.exportIds[i] as number[])) continue;
    identical += 1;
    ref.logprobs.forEach((lp, k) => {
      const d = Math.abs(lp - (got.logprobs[k] as number));
      max = Math.max(max, d);
      sum += d;
      n += 1;
    });
  }
  const total = p.prompts.length;
  const passed = mismatch === undefined && total > 0;
  const stats = `${identical}/${total} prompts with identical greedy outputs, max |Δ log p| ${max.toExponential(2)}`;
  const detail = passed ? stats : mismatch ? `prompt ${mismatch.prompt_index} (${mismatch.row_id}) differs: expected ${mismatch.expected}, got ${mismatch.actual}; ${stats}` : 'no prompt was compared';
  return {
    result: { passed, detail, mode: 'exact', prompts: total, token_agreement: total === 0 ? 0 : identical / total, max_abs_diff: max, mean_abs_diff: n === 0 ? 0 : sum / n },
    ...(mismatch ? { mismatch } : {}),
  };
}

/**
 * Quantized GGUF exports: teacher-forced over each gold prompt followed by the trained model's greedy answer (its stop
 * token included), every position from the second token on — the share of positions where the export's top-1 token
 * is the trained model's, and the mean |Δ log p| of the fed tokens — within QUANTIZED_TOLERANCE. Free-running greedy
 * outputs of a quantized model diverge after their first disagreement, hence teacher forcing.
 */
export async function teacherForcedParity(p: ParityInputs, reference: CheckRuntime, exported: CheckRuntime, quantization: Quantization): Promise<ParityOutcome> {
  if (!isQuantized(quantization) || !reference.teacherForced || !exported.teacherForced) throw new Error(`teacher-forced parity needs a quantized export on libs/inference (got ${quantization}, ${exported.name})`);
  const tol = QUANTIZED_TOLERANCE[quantization as 'q8_0' | 'q4_0' | 'q4_k_m'];
  const rows = p.prompts.map((_, i) => ({ ids: [...(p.referenceIds[i] as number[]), ...(p.reference[i] as Decoded).tokenIds], from: 1 }));
  const ref = await reference.teacherForced(rows);
  const got = await exported.teacherForced(rows);
  let agree = 0;
  let positions = 0;
  let max = 0;
  let sum = 0;
  let firstDisagreement: number | undefined;
  for (const [i, r] of ref.entries()) {
    const g = got[i]!;
    r.top1.forEach((t, k) => {
      positions += 1;
      if (t === g.top1[k]) agree += 1;
      else firstDisagreement ??= i;
      const d = Math.abs((r.logprobs[k] as number) - (g.logprobs[k] as number));
      max = Math.max(max, d);
      sum += d;
    });
  }
  const top1 = positions === 0 ? 0 : agree / positions;
  const mean = positions === 0 ? 0 : sum / positions;
  const greedySame = p.prompts.filter((_, i) => sameIds((p.reference[i] as Decoded).tokenIds, (p.exported[i] as Decoded).tokenIds)).length;
  const passed = positions > 0 && top1 >= tol.minTop1 && mean <= tol.maxMeanAbsDiff;
  const stats = `teacher-forced top-1 ${(100 * top1).toFixed(1)}% of ${positions} positions (≥ ${100 * tol.minTop1}%), mean |Δ log p| ${mean.toExponential(2)} (≤ ${tol.maxMeanAbsDiff}), max ${max.toExponential(2)}; greedy identical on ${greedySame}/${p.prompts.length} prompts`;
  // Which prompt to name: the first whose greedy output differs, else the first with a top-1 disagreement.
  const mismatch = passed ? undefined : (firstMismatch(p) ?? (firstDisagreement === undefined ? undefined : mismatchAt(p, firstDisagreement)));
  return {
    result: {
      passed,
      detail: passed ? stats : `${mismatch ? `first differing prompt ${mismatch.prompt_index} (${mismatch.row_id}); ` : ''}${stats}`,
      mode: 'teacher_forced',
      prompts: p.prompts.length,
      token_agreement: top1,
      max_abs_diff: max,
      mean_abs_diff: mean,
      min_token_agreement: tol.minTop1,
      max_mean_abs_diff: tol.maxMeanAbsDiff,
    },
    ...(mismatch ? { mismatch } : {}),
  };
}

function mismatchAt(p: ParityInputs, i: number): ParityMismatch {
  const prompt = p.prompts[i] as CheckPrompt;
  return { prompt_index: i, row_id: prompt.row_id, prompt: promptText(prompt), expected: show(p.reference[i] as Decoded), actual: show(p.exported[i] as Decoded) };
}
