import { accept, answerList, raw, reject, sentinel, text, tooLong, typeName } from '../fields.js';
import type { Mapper } from '../types.js';

/**
 * `{question, answer}` → qa record `{question, answer, aliases?}`. The answer may be a string, a number, or a list of
 * acceptable answers (NQ-Open; SQuAD-style answer objects too): `answer` is the first non-blank one, `aliases` the
 * other distinct ones (omitted when there are none). All trimmed. max_chars counts question + answer.
 */
export const qaPairPassthrough: Mapper = {
  id: 'qa_pair_passthrough',
  task_profile: 'qa',
  description: 'Closed-book question answering: a question and its answer(s).',
  output_schema: { fields: { question: 'string', answer: 'string', aliases: 'string[]?' }, scoring_mode: 'exact_match_f1' },
  roles: [
    { name: 'question', required: true, description: 'the question' },
    { name: 'answer', required: true, description: 'the answer, or a list of acceptable answers (first = reference)' },
  ],
  map(row, fieldMap, options) {
    const s = sentinel(row);
    if (s) return s;
    const q = text(row, fieldMap, 'question');
    if (!q.ok) return q.rejected;
    const a = raw(row, fieldMap, 'answer');
    if (!a.ok) return a.rejected;
    const answers = answerList(a.value);
    if (answers === null) return reject(row, 'invalid_type', `answer must be a string or a list of strings, got ${typeName(a.value)}`);
    const distinct = [...new Set(answers.map((x) => x.text.trim()))];
    const [answer, ...aliases] = distinct;
    if (answer === undefined) return reject(row, 'missing_answer', `answer column '${fieldMap['answer'] ?? ''}' holds no answer`);
    const question = q.value as string;
    const record = aliases.length > 0 ? { question, answer, aliases } : { question, answer };
    return tooLong(row, options, question.length + answer.length) ?? accept(row, 'qa', record);
  },
};
