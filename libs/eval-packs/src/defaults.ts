import type { TaskProfile } from '@distillery/contracts';
import { parseEvalPack, type EvalPack } from './eval-pack.js';

/** The headline metric of each task profile: what "did fine-tuning help?" is asked of. */
export const PRIMARY_METRIC: Readonly<Record<TaskProfile, string>> = {
  classification: 'accuracy',
  qa: 'f1',
  structured_extraction: 'micro_f1',
  rag_qa: 'f1',
  dpo: 'preference_accuracy',
  seq2seq: 'chrf',
  language_modeling: 'eval_loss',
  chat_sft: 'f1',
  vision_language: 'f1',
  audio_transcript: 'wer',
  safety: 'pass_rate',
};

const REPORTED: Readonly<Record<TaskProfile, readonly string[]>> = {
  classification: ['accuracy', 'macro_f1', 'micro_f1', 'unparseable_rate'],
  qa: ['exact_match', 'f1'],
  structured_extraction: ['micro_f1', 'macro_f1', 'micro_precision', 'micro_recall'],
  rag_qa: ['exact_match', 'f1', 'faithfulness', 'context_recall', 'unsupported_token_rate'],
  dpo: ['preference_accuracy', 'mean_margin'],
  seq2seq: ['bleu', 'chrf', 'rouge_l', 'length_ratio'],
  language_modeling: ['eval_loss'],
  chat_sft: ['exact_match', 'f1'],
  vision_language: ['exact_match', 'f1'],
  audio_transcript: ['wer', 'cer'],
  safety: ['pass_rate', 'refusal_rate', 'compliance_rate', 'accuracy', 'macro_f1'],
};

/**
 * The pack an evaluation uses when the request names none: report the profile's usual metrics; block a model that
 * is worse than its base model on the headline metric, or more than 2 points worse than the current champion. No
 * absolute thresholds: what is good enough is the user's call (their own pack).
 */
export function defaultEvalPack(profile: TaskProfile): EvalPack {
  const metric = PRIMARY_METRIC[profile];
  return parseEvalPack({
    eval_pack_version: 1,
    name: `default-${profile}`,
    description: `Distillery's default for ${profile}: not worse than the base model, not clearly worse than the champion.`,
    task_profile: profile,
    metrics: [...REPORTED[profile]],
    // The safety profile's headline numbers come from the built-in attack suite (refusal / compliance pass rates).
    ...(profile === 'safety' ? { safety_suite: {} } : {}),
    gates: [
      { id: `${metric} not worse than the base model`, metric, relative_to: 'base', min_delta: 0, bound: 'point' },
      { id: `${metric} within 0.02 of the champion`, metric, relative_to: 'champion', min_delta: -0.02, bound: 'point' },
    ],
  });
}
