import type { TaskProfile, TransformedRow } from '@distillery/contracts';
import type { InferenceModel } from '@distillery/inference';
import type { ChatMessage as ModelMessage } from '@distillery/models';
import { handlerFor, type ChatMessage, type HandlerContext, type Rendered } from '@distillery/tasks';
import type { RowOutcome } from './score.js';

export interface PredictOptions {
  readonly profile: TaskProfile;
  readonly context: HandlerContext;
  /** Cap on generated tokens per row (generation tasks). */
  readonly maxNewTokens: number;
  /** Rows per scoring / generation call (progress is reported between them). */
  readonly chunk?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Task messages as the tokenizer's chat template takes them. */
const asChat = (messages: readonly ChatMessage[]): ModelMessage[] => messages.map((m) => ({ role: m.role, content: m.content }));

/** A rendered chat split into the prompt (every turn before the last assistant turn) and the answer. */
function promptAndAnswer(r: Rendered, rowId: string): { prompt: readonly ChatMessage[]; answer: string } {
  if (r.kind !== 'chat') throw new Error(`row ${rowId}: expected a chat rendering, got ${r.kind}`);
  const last = r.messages.length - 1;
  const answer = r.messages[last];
  if (answer?.role !== 'assistant') throw new Error(`row ${rowId}: the rendering does not end with the assistant's answer`);
  return { prompt: r.messages.slice(0, last), answer: answer.content };
}

/**
 * The token ids the chat template gives `answer` as the assistant's reply to `prompt`, end-of-turn included: the
 * rendered conversation's ids after the prompt's (with the generation prompt). What the model was trained to emit.
 */
function answerIds(model: InferenceModel, prompt: readonly ChatMessage[], answer: string, promptIds: readonly number[]): number[] {
  const full = model.promptIds(model.tokenizer.renderChat(asChat([...prompt, { role: 'assistant', content: answer }]), { addGenerationPrompt: false }), false);
  const prefix = promptIds.every((id, i) => full[i] === id);
  // A template whose rendering of the full chat does not start with the prompt's: score the answer text alone.
  return prefix && full.length > promptIds.length ? full.slice(promptIds.length) : model.promptIds(answer, false);
}

/** JSON-looking answers (structured extraction) are compared as text; generation stops at the end-of-turn token. */
async function generateRows(model: InferenceModel, prompts: number[][], maxNewTokens: number): Promise<string[]> {
  const out = await model.generateBatch(prompts, { maxNewTokens, temperature: 0 });
  return out.map((g) => g.text.trim());
}

/**
 * Runs the model on eval rows the way the task's handler decodes (DESIGN "Task handlers"): label tasks score every
 * label's likelihood as the answer and pick the most likely (never a substring search in free text); generation tasks
 * decode greedily; alignment scores the chosen and the rejected response; language modelling measures the answer's
 * log-likelihood. Returns one outcome per row, in order.
 */
export async function predict(model: InferenceModel, rows: readonly TransformedRow[], o: PredictOptions): Promise<RowOutcome[]> {
  const handler = handlerFor(o.profile);
  const chunk = o.chunk ?? 16;
  const out: RowOutcome[] = [];
  for (let start = 0; start < rows.length; start += chunk) {
    const part = rows.slice(start, start + chunk);
    const rendered = part.map((r) => handler.render(r.row_id, r.record, o.context));
    switch (handler.decoding) {
      case 'label_likelihood': {
        const labels = o.context.label_set ?? [];
        if (labels.length === 0) throw new Error('label tasks need the label set of the manifest');
        const split = rendered.map((r, i) => promptAndAnswer(r, part[i]!.row_id));
        const prompts = split.map((s) => model.chatPromptIds(asChat(s.prompt)));
        const requests = split.flatMap((s, i) => labels.map((label) => ({ prompt: prompts[i]!, continuation: answerIds(model, s.prompt, label, prompts[i]!) })));
        const scores = await model.score(requests);
        split.forEach((s, i) => {
          const lp = Object.fromEntries(labels.map((label, k) => [label, scores[i * labels.length + k]!.logprob]));
          const best = labels.reduce((a, b) => ((lp[b] as number) > (lp[a] as number) ? b : a));
          out.push({ row_id: part[i]!.row_id, references: [s.answer], prediction: Number.isFinite(lp[best]) ? best : null, label_logprobs: lp });
        });
        break;
      }
      case 'generate': {
        const split = rendered.map((r, i) => promptAndAnswer(r, part[i]!.row_id));
        const texts = await generateRows(model, split.map((s) => model.chatPromptIds(asChat(s.prompt))), o.maxNewTokens);
        split.forEach((s, i) => {
          const context = o.profile === 'rag_qa' ? String(part[i]!.record['context'] ?? '') : undefined;
          out.push({ row_id: part[i]!.row_id, references: [s.answer], prediction: texts[i] ?? '', ...(context !== undefined ? { context } : {}) });
        });
        break;
      }
      case 'preference': {
        const requests: Array<{ prompt: number[]; continuation: number[] }> = [];
        for (const [i, r] of rendered.entries()) {
          if (r.kind !== 'pair') throw new Error(`row ${part[i]!.row_id}: expected a preference pair`);
          const prompt = model.chatPromptIds(asChat(r.prompt));
          requests.push({ prompt, continuation: answerIds(model, r.prompt, r.chosen, prompt) }, { prompt, continuation: answerIds(model, r.prompt, r.rejected, prompt) });
        }
        const scores = await model.score(requests);
        rendered.forEach((r, i) => {
          const chosen = scores[2 * i]!.logprob;
          const rejected = scores[2 * i + 1]!.logprob;
          out.push({ row_id: part[i]!.row_id, references: [r.kind === 'pair' ? r.chosen : ''], prediction: chosen > rejected ? 'chosen' : 'rejected', chosen_logprob: chosen, rejected_logprob: rejected });
        });
        break;
      }
      case 'perplexity': {
        const requests = rendered.map((r, i) => {
          if (r.kind !== 'text') throw new Error(`row ${part[i]!.row_id}: expected text`);
          const ids = model.promptIds(r.text);
          if (ids.length < 2) throw new Error(`row ${part[i]!.row_id}: fewer than 2 tokens`);
          return { prompt: ids.slice(0, 1), continuation: ids.slice(1) };
        });
        const scores = await model.score(requests);
        scores.forEach((s, i) => out.push({ row_id: part[i]!.row_id, references: [], prediction: null, nll: -s.logprob, tokens: s.tokenIds.length }));
        break;
      }
    }
    o.onProgress?.(Math.min(rows.length, start + chunk), rows.length);
  }
  return out;
}
