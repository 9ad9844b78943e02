import type { TaskProfile } from '@distillery/contracts';
import { setAtPath, textFieldPatterns, textFields, type TextField } from '../text-fields.js';
import { detectPii } from './detect.js';
import { actionFor, OffsetMap, rewriteText, type PiiAction, type PiiPolicy } from './rewrite.js';
import type { PiiDetectOptions, PiiFinding, PiiKind } from './types.js';

/** A finding with the action the policy took on it and, when rewritten, what it became. */
export interface AppliedFinding extends PiiFinding {
  readonly action: PiiAction;
  readonly replacement?: string;
}

export interface RecordPiiResult {
  /** The record to keep: rewritten copy, or the input itself when nothing changed or the record is blocked. */
  readonly record: Readonly<Record<string, unknown>>;
  readonly findings: readonly AppliedFinding[];
  /** Some finding's action is `block`: the record is left untouched and must not be used. */
  readonly blocked: boolean;
  readonly blocked_kinds: readonly PiiKind[];
  /**
   * Consistency repairs: `span_set_tokens_rewritten_individually` (text ≠ tokens joined by spaces, so tokens were
   * rewritten one by one), `answer_start_moved`, `answer_start_dropped` (rag_qa).
   */
  readonly warnings: readonly string[];
}

export interface ScanRecordOptions {
  readonly policy: PiiPolicy;
  /** Override the text fields of a profile (pattern notation of text-fields.ts). */
  readonly text_fields?: Partial<Record<TaskProfile, readonly string[]>>;
}

type Rec = Readonly<Record<string, unknown>>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Finds PII in a record's text fields and applies the policy, keeping the record internally consistent:
 *
 * - structured_extraction / span_set (`{text, tokens, spans}`): span offsets are mapped through the edits of `text`
 *   (OffsetMap: spans after a replaced range shift; a span boundary inside a replaced range snaps outward, so an
 *   entity that contains, is contained in, or straddles PII ends up covering the whole placeholder — except inside
 *   a same-length mask, where boundaries keep their place); span `text` is
 *   re-sliced; `tokens` are re-split from the new text (valid because text = tokens joined by single spaces and
 *   placeholders have no spaces; masks keep spaces), and `token_start`/`token_end` are recomputed from offsets.
 * - rag_qa: when the answer sits at `answer_start` in the context, the new answer is the mapped slice of the new
 *   context, so answer and context stay consistent; otherwise the answer is rewritten on its own and `answer_start`
 *   is searched again (or dropped, with a warning).
 */
export function scanRecord(profile: TaskProfile, record: Rec, options: ScanRecordOptions): RecordPiiResult {
  const { policy } = options;
  const fields = textFields(record, textFieldPatterns(profile, options.text_fields));
  const detect: PiiDetectOptions = {
    ...(policy.kinds ? { kinds: policy.kinds } : {}),
    ...(policy.min_confidence !== undefined ? { min_confidence: policy.min_confidence } : {}),
  };
  const perField = fields.map((f) => ({ field: f, findings: detectPii(f.value, f.path, detect) }));
  const all = perField.flatMap((p) => p.findings);
  const blockedKinds = [...new Set(all.filter((f) => actionFor(policy, f.kind) === 'block').map((f) => f.kind))].sort();
  if (blockedKinds.length > 0) {
    return { record, findings: all.map((f) => ({ ...f, action: actionFor(policy, f.kind) })), blocked: true, blocked_kinds: blockedKinds, warnings: [] };
  }

  const applied: AppliedFinding[] = [];
  const rewritten = new Map<string, { field: TextField; text: string; map: OffsetMap }>();
  for (const { field, findings } of perField) {
    const r = rewriteText(field.value, findings, policy);
    for (const f of findings) {
      const action = actionFor(policy, f.kind);
      const edit = r.edits.find((e) => e.start === f.start && e.end === f.end);
      applied.push(edit ? { ...f, action, replacement: edit.replacement } : { ...f, action });
    }
    if (r.map.changed) rewritten.set(field.path, { field, text: r.text, map: r.map });
  }
  if (rewritten.size === 0) return { record, findings: applied, blocked: false, blocked_kinds: [], warnings: [] };

  let out: unknown = record;
  for (const { field, text } of rewritten.values()) out = setAtPath(out, field.steps, text);
  const warnings: string[] = [];
  let result = out as Rec;
  const text = rewritten.get('text');
  if (profile === 'structured_extraction' && text && Array.isArray(record['spans'])) {
    result = fixSpanSet(record, result, text.text, text.map, policy, detect, warnings);
  }
  const context = rewritten.get('context');
  if (profile === 'rag_qa' && context) result = fixAnswer(record, result, context.text, context.map, warnings);
  return { record: result, findings: applied, blocked: false, blocked_kinds: [], warnings };
}

/** Start offsets of tokens in `tokens.join(' ')`. */
function tokenStarts(tokens: readonly string[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const t of tokens) {
    starts.push(at);
    at += t.length + 1;
  }
  return starts;
}

/** Index of the token containing character `pos` (the last token starting at or before it). */
function tokenAt(starts: readonly number[], pos: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function fixSpanSet(original: Rec, rec: Rec, newText: string, map: OffsetMap, policy: PiiPolicy, detect: PiiDetectOptions, warnings: string[]): Rec {
  const tokens = original['tokens'];
  const oldText = original['text'];
  let newTokens: unknown = tokens;
  if (Array.isArray(tokens) && tokens.every((t) => typeof t === 'string')) {
    if (tokens.join(' ') === oldText) newTokens = newText.split(' ');
    else {
      // No offset relation between text and tokens: rewrite each token on its own (token count stays).
      newTokens = tokens.map((t: string, i) => rewriteText(t, detectPii(t, `tokens[${i}]`, detect), policy).text);
      warnings.push('span_set_tokens_rewritten_individually');
    }
  }
  const aligned = Array.isArray(newTokens) && newTokens.join(' ') === newText;
  const starts = aligned ? tokenStarts(newTokens as string[]) : [];
  const spans = (original['spans'] as unknown[]).map((s) => {
    if (!isRecord(s) || typeof s['start'] !== 'number' || typeof s['end'] !== 'number') return s;
    const start = map.map(s['start'], 'start');
    const end = map.map(s['end'], 'end');
    const next: Record<string, unknown> = { ...s, start, end, text: newText.slice(start, end) };
    if (aligned && typeof s['token_start'] === 'number' && typeof s['token_end'] === 'number' && end > start) {
      next['token_start'] = tokenAt(starts, start);
      next['token_end'] = tokenAt(starts, end - 1) + 1;
    }
    return next;
  });
  return { ...rec, tokens: newTokens, spans };
}

function fixAnswer(original: Rec, rec: Rec, newContext: string, map: OffsetMap, warnings: string[]): Rec {
  const answer = original['answer'];
  const at = original['answer_start'];
  const context = original['context'];
  if (typeof answer !== 'string' || answer === '' || typeof at !== 'number' || typeof context !== 'string') return rec;
  if (context.slice(at, at + answer.length) === answer) {
    const start = map.map(at, 'start');
    const end = map.map(at + answer.length, 'end');
    return { ...rec, answer: newContext.slice(start, end), answer_start: start };
  }
  const newAnswer = typeof rec['answer'] === 'string' ? rec['answer'] : answer;
  const found = newContext.indexOf(newAnswer);
  if (found >= 0) {
    warnings.push('answer_start_moved');
    return { ...rec, answer_start: found };
  }
  warnings.push('answer_start_dropped');
  const { answer_start: _dropped, ...rest } = rec;
  return rest;
}
