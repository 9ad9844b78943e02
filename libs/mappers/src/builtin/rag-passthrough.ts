import { accept, answerList, raw, reject, sentinel, text, tooLong, typeName } from '../fields.js';
import type { MappingWarning } from '../reasons.js';
import type { Mapper } from '../types.js';

function flag(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(t)) return true;
    if (['false', '0', 'no', ''].includes(t)) return false;
  }
  return undefined;
}

/**
 * `{question, context, answer, is_impossible?}` → rag_qa record `{question, context, answer, answer_start?,
 * answerable, aliases?}`.
 *
 * - The context is kept verbatim (answer_start offsets point into it); question and answer are trimmed.
 * - The answer may be a string, a list, SQuAD `[{text, answer_start}]` or Hugging Face `{text: [], answer_start: []}`:
 *   the first non-blank answer is `answer`, other distinct ones `aliases`.
 * - Unanswerable (is_impossible true, or no answer at all — SQuAD v2): kept as `{answer: '', answerable: false}` by
 *   default (a RAG model must learn to abstain); options.unanswerable 'reject' rejects them as unanswerable.
 * - answer_start is checked against the context; a wrong one is replaced by the first occurrence
 *   (answer_start_corrected). An answer not found in the context is kept without answer_start (warning
 *   answer_not_in_context) unless options.require_answer_in_context rejects it.
 * - max_chars counts question + context.
 */
export const ragPassthrough: Mapper = {
  id: 'rag_passthrough',
  task_profile: 'rag_qa',
  description: 'Grounded QA: a question, the passage that grounds it, and the answer (or none).',
  output_schema: {
    fields: { question: 'string', context: 'string', answer: 'string', answer_start: 'number?', answerable: 'boolean', aliases: 'string[]?' },
    scoring_mode: 'grounded_exact_match_f1',
  },
  roles: [
    { name: 'question', required: true, description: 'the question' },
    { name: 'context', required: true, description: 'the grounding passage' },
    { name: 'answer', required: true, description: 'the answer: string, list, or SQuAD answers' },
    { name: 'is_impossible', required: false, description: 'SQuAD v2 flag: true when the context holds no answer' },
  ],
  map(row, fieldMap, options) {
    const s = sentinel(row);
    if (s) return s;
    const q = text(row, fieldMap, 'question');
    if (!q.ok) return q.rejected;
    const c = text(row, fieldMap, 'context', { trim: false });
    if (!c.ok) return c.rejected;
    const a = raw(row, fieldMap, 'answer');
    if (!a.ok) return a.rejected;
    const imp = raw(row, fieldMap, 'is_impossible', false);
    if (!imp.ok) return imp.rejected;
    const impossible = imp.value === undefined || imp.value === null ? false : flag(imp.value);
    if (impossible === undefined) return reject(row, 'invalid_type', `is_impossible must be a boolean, got ${typeName(imp.value)}`);

    const question = q.value as string;
    const context = c.value as string;
    const chars = question.length + context.length;
    const answers = answerList(a.value);
    if (answers === null) return reject(row, 'invalid_type', `answer must be a string, a list or SQuAD answers, got ${typeName(a.value)}`);

    if (impossible || answers.length === 0) {
      if (options?.unanswerable === 'reject') {
        return reject(row, 'unanswerable', impossible ? 'is_impossible is true' : 'the row has no answer');
      }
      return tooLong(row, options, chars) ?? accept(row, 'rag_qa', { question, context, answer: '', answerable: false });
    }

    const first = answers[0] as { text: string; start?: number };
    const answer = first.text.trim();
    const aliases = [...new Set(answers.map((x) => x.text.trim()))].filter((x) => x !== answer);
    const warnings: MappingWarning[] = [];
    let start: number | undefined;
    if (first.start !== undefined && context.startsWith(first.text, first.start)) {
      start = first.start + (first.text.length - first.text.trimStart().length);
    } else {
      const found = context.indexOf(answer);
      if (found >= 0) {
        start = found;
        if (first.start !== undefined) warnings.push('answer_start_corrected');
      } else if (options?.require_answer_in_context) {
        return reject(row, 'answer_not_in_context', `answer ${JSON.stringify(answer.slice(0, 80))} does not occur in the context`);
      } else warnings.push('answer_not_in_context');
    }
    const record = {
      question,
      context,
      answer,
      ...(start !== undefined ? { answer_start: start } : {}),
      answerable: true,
      ...(aliases.length > 0 ? { aliases } : {}),
    };
    return tooLong(row, options, chars) ?? accept(row, 'rag_qa', record, warnings);
  },
};
