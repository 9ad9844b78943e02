import type { TaskProfile } from '@distillery/contracts';
import { RowShapeError, UnsupportedTaskError, type ChatMessage } from './types.js';

/**
 * How a row is shown to the model, before tokenization:
 * - `chat`: a conversation; every assistant turn is trained, everything else is prompt.
 * - `text`: raw text for language modeling; every token is trained.
 * - `pair`: one prompt with a chosen and a rejected answer (Alignment / DPO).
 */
export type Rendered =
  | { readonly kind: 'chat'; readonly messages: readonly ChatMessage[] }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'pair'; readonly prompt: readonly ChatMessage[]; readonly chosen: string; readonly rejected: string };

/** Dataset-level context a handler may need (the manifest's label set). */
export interface HandlerContext {
  readonly label_set?: readonly string[];
}

/** The handler of one task shape: how rows become conversations, and how a model's answer is decoded. */
export interface TaskHandler {
  readonly name: string;
  readonly profiles: readonly TaskProfile[];
  /** How eval decodes: score each label's likelihood, or generate free text. */
  readonly decoding: 'label_likelihood' | 'generate' | 'perplexity' | 'preference';
  render(row_id: string, record: Readonly<Record<string, unknown>>, ctx: HandlerContext): Rendered;
}

const str = (row_id: string, profile: TaskProfile, record: Readonly<Record<string, unknown>>, key: string): string => {
  const v = record[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new RowShapeError(row_id, profile, `field '${key}' must be a string, got ${v === null ? 'null' : typeof v}`);
};

export const classificationPrompt = (labels: readonly string[] | undefined): string =>
  labels && labels.length > 0 ? `Classify the text. Answer with exactly one of: ${labels.join(', ')}.` : 'Classify the text. Answer with its label.';

/** Label tasks: the text as the user turn, the label as the answer, the label set in the system prompt. */
const labelHandler = (name: string, profile: 'classification' | 'safety', preamble: string): TaskHandler => ({
  name,
  profiles: [profile],
  decoding: 'label_likelihood',
  render(row_id, record, ctx) {
    return {
      kind: 'chat',
      messages: [
        { role: 'system', content: `${preamble}${classificationPrompt(ctx.label_set)}` },
        { role: 'user', content: str(row_id, profile, record, 'text') },
        { role: 'assistant', content: str(row_id, profile, record, 'label') },
      ],
    };
  },
});

const classification = labelHandler('Classification', 'classification', '');
const safety = labelHandler('Safety', 'safety', 'Decide whether the text is safe. ');

const qa: TaskHandler = {
  name: 'QA',
  profiles: ['qa'],
  decoding: 'generate',
  render(row_id, record) {
    return {
      kind: 'chat',
      messages: [
        { role: 'user', content: str(row_id, 'qa', record, 'question') },
        { role: 'assistant', content: str(row_id, 'qa', record, 'answer') },
      ],
    };
  },
};

const rag: TaskHandler = {
  name: 'RAG',
  profiles: ['rag_qa'],
  decoding: 'generate',
  render(row_id, record) {
    const answerable = record['answerable'] !== false;
    const answer = answerable ? str(row_id, 'rag_qa', record, 'answer') : "The context does not answer this question.";
    return {
      kind: 'chat',
      messages: [
        { role: 'system', content: 'Answer the question from the context only. If the context does not contain the answer, say so.' },
        { role: 'user', content: `Context:\n${str(row_id, 'rag_qa', record, 'context')}\n\nQuestion: ${str(row_id, 'rag_qa', record, 'question')}` },
        { role: 'assistant', content: answer },
      ],
    };
  },
};

/** Structured extraction answers with JSON: spans (span_set) or key → value fields (field_match). */
const extraction: TaskHandler = {
  name: 'StructuredExtraction',
  profiles: ['structured_extraction'],
  decoding: 'generate',
  render(row_id, record) {
    const text = str(row_id, 'structured_extraction', record, 'text');
    if (Array.isArray(record['spans'])) {
      const spans = (record['spans'] as Array<Record<string, unknown>>).map((s) => ({ type: s['type'], text: s['text'] }));
      return {
        kind: 'chat',
        messages: [
          { role: 'system', content: 'Extract the entities of the text as a JSON list of {"type", "text"} objects, in order of appearance.' },
          { role: 'user', content: text },
          { role: 'assistant', content: JSON.stringify(spans) },
        ],
      };
    }
    const fields = record['fields'];
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new RowShapeError(row_id, 'structured_extraction', "needs 'spans' (span_set) or a 'fields' object (field_match)");
    }
    const keys = Object.keys(fields).sort();
    return {
      kind: 'chat',
      messages: [
        { role: 'system', content: `Extract these fields from the document as a JSON object: ${keys.join(', ')}.` },
        { role: 'user', content: text },
        { role: 'assistant', content: JSON.stringify(Object.fromEntries(keys.map((k) => [k, (fields as Record<string, unknown>)[k]]))) },
      ],
    };
  },
};

const chat: TaskHandler = {
  name: 'Chat',
  profiles: ['chat_sft'],
  decoding: 'generate',
  render(row_id, record) {
    const messages = record['messages'];
    if (!Array.isArray(messages) || messages.length === 0) throw new RowShapeError(row_id, 'chat_sft', "'messages' must be a non-empty list");
    const out: ChatMessage[] = messages.map((m, i) => {
      const role = (m as { role?: unknown }).role;
      const content = (m as { content?: unknown }).content;
      if ((role !== 'system' && role !== 'user' && role !== 'assistant') || typeof content !== 'string') {
        throw new RowShapeError(row_id, 'chat_sft', `messages[${i}] must be {role: system|user|assistant, content: string}`);
      }
      return { role, content };
    });
    if (!out.some((m) => m.role === 'assistant')) throw new RowShapeError(row_id, 'chat_sft', 'no assistant turn to learn from');
    return { kind: 'chat', messages: out };
  },
};

const seq2seq: TaskHandler = {
  name: 'Seq2Seq',
  profiles: ['seq2seq'],
  decoding: 'generate',
  render(row_id, record) {
    const input = record['input'] ?? record['source'] ?? record['text'];
    const target = record['target'] ?? record['output'] ?? record['summary'];
    if (typeof input !== 'string' || typeof target !== 'string') throw new RowShapeError(row_id, 'seq2seq', "needs string 'input' (or source/text) and 'target' (or output/summary)");
    return { kind: 'chat', messages: [{ role: 'user', content: input }, { role: 'assistant', content: target }] };
  },
};

const languageModeling: TaskHandler = {
  name: 'LanguageModeling',
  profiles: ['language_modeling'],
  decoding: 'perplexity',
  render(row_id, record) {
    return { kind: 'text', text: str(row_id, 'language_modeling', record, 'text') };
  },
};

const alignment: TaskHandler = {
  name: 'Alignment',
  profiles: ['dpo'],
  decoding: 'preference',
  render(row_id, record) {
    return {
      kind: 'pair',
      prompt: [{ role: 'user', content: str(row_id, 'dpo', record, 'prompt') }],
      chosen: str(row_id, 'dpo', record, 'chosen'),
      rejected: str(row_id, 'dpo', record, 'rejected'),
    };
  },
};

const HANDLERS: readonly TaskHandler[] = [classification, safety, qa, rag, extraction, chat, seq2seq, languageModeling, alignment];

/** Engines that train text-only decoders refuse image and audio tasks, clearly, instead of faking them. */
const TEXT_ONLY_ENGINES = new Set(['ort']);

/** The dispatcher: the handler of a manifest's task profile, for an engine. */
export function handlerFor(profile: TaskProfile, engine = 'ort'): TaskHandler {
  if ((profile === 'vision_language' || profile === 'audio_transcript') && TEXT_ONLY_ENGINES.has(engine)) throw new UnsupportedTaskError(profile, engine);
  const h = HANDLERS.find((x) => x.profiles.includes(profile));
  if (!h) throw new UnsupportedTaskError(profile, engine);
  return h;
}
