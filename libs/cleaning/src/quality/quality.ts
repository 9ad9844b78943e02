import { normalizeText } from '../normalize.js';
import { detectLanguage } from './language.js';
import { detectScript, type Script, type ScriptProfile } from './script.js';

/**
 * A 0..1 quality score per record with its components, built so that no language or script is penalised: letters
 * are `\p{L}` + `\p{M}` (so Devanagari vowel signs and Thai tone marks count), length is measured in "units" that
 * weigh ideographic characters (a Chinese or Japanese character carries roughly a word), and repetition uses word
 * n-grams for space-separated scripts and character n-grams for scripts written without spaces.
 *
 *   score = encoding × (w_length·length + w_alpha·alpha_ratio + w_repetition·repetition),
 *   encoding = min(garbage, mojibake)
 *
 * so broken encoding dominates, and the other components trade off. Blank text scores 0.
 */
export interface QualityOptions {
  /** Length units at which the length component reaches 1 (default 16). */
  readonly min_good_units?: number;
  readonly weights?: { readonly length: number; readonly alpha_ratio: number; readonly repetition: number };
}

export interface QualityComponents {
  /** 1 from `min_good_units` length units up; linear below. */
  readonly length: number;
  /** Share of letters (and combining marks) among non-space characters: 1 at ≥ 0.6, 0 at ≤ 0.2. */
  readonly alpha_ratio: number;
  /** min(duplicate n-gram score: 1 at ≤ 0.15 share, 0 at ≥ 0.65; same-character run score: 1 at ≤ 8, 0 at ≥ 28). */
  readonly repetition: number;
  /** 1 − garbage share / 0.05: control characters, U+FFFD, lone surrogates, private-use characters. */
  readonly garbage: number;
  /** 1 − markers / (1 + chars / 200): UTF-8 read as Windows-1252 ("Ã©", "â€™", "Â£"). */
  readonly mojibake: number;
}

export interface QualitySignals {
  /** Code points. */
  readonly chars: number;
  readonly length_units: number;
  readonly letter_share: number;
  readonly dup_ngram_share: number;
  /** Longest run of one letter or digit (case-insensitive). */
  readonly max_char_run: number;
  readonly control_chars: number;
  readonly replacement_chars: number;
  readonly garbage_share: number;
  readonly mojibake_markers: number;
}

export interface QualityResult {
  readonly score: number;
  readonly components: QualityComponents;
  readonly signals: QualitySignals;
  readonly script: Script | 'Zyyy';
  readonly language: string;
  readonly language_confidence: number;
}

const DEFAULT_WEIGHTS = { length: 0.25, alpha_ratio: 0.4, repetition: 0.35 };

/** C0 controls except tab / newline / carriage return, DEL, C1 controls. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/gu;
const REPLACEMENT = /\ufffd/gu;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const PRIVATE_USE = /[\ue000-\uf8ff\ufffe\uffff]/gu;
const CP1252_HIGH = '\\u0080-\\u00bf\\u0152\\u0153\\u0160\\u0161\\u0178\\u017d\\u017e\\u0192\\u02c6\\u02dc\\u2013\\u2014\\u2018-\\u201e\\u2020-\\u2022\\u2026\\u2030\\u2039\\u203a\\u20ac\\u2122';
/** UTF-8 lead bytes C2/C3/D0/D1/E2 80 decoded as Windows-1252, followed by a continuation byte. */
const MOJIBAKE = new RegExp(`Ã[${CP1252_HIGH}]|â€[${CP1252_HIGH}]?|Â[\\u0080-\\u00bf]|ï¿½|[ÐÑ][\\u0080-\\u00bf]`, 'gu');
const LETTERS = /[\p{L}\p{M}]/gu;
const NON_SPACE = /\S/gu;
const UNSEGMENTED: ReadonlySet<string> = new Set(['Han', 'Kana', 'Thai', 'Lao', 'Khmer', 'Myanmar', 'Tibetan']);

const ramp = (x: number, zeroAt: number, oneAt: number): number => {
  const t = (x - zeroAt) / (oneAt - zeroAt);
  return t <= 0 ? 0 : t >= 1 ? 1 : t;
};
const round4 = (x: number): number => Math.round(x * 10000) / 10000;

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

/** Length in units: ideographs and kana 3, Hangul 2, any other non-space character 1. */
export function lengthUnits(text: string, script: ScriptProfile = detectScript(text)): number {
  const c = script.counts;
  return count(text, NON_SPACE) + 2 * ((c.Han ?? 0) + (c.Kana ?? 0)) + (c.Hangul ?? 0);
}

/** Share of n-grams that repeat an earlier one (word 3-grams, or character 5-grams for unsegmented scripts). */
export function duplicateNgramShare(text: string, unsegmented: boolean): number {
  const norm = normalizeText(text);
  const tokens = unsegmented ? [...norm.replace(/ /g, '')] : norm.split(' ').filter((t) => t !== '');
  const n = unsegmented ? 5 : 3;
  const total = tokens.length - n + 1;
  if (total <= 1) return 0;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(tokens.slice(i, i + n).join('\u0001'));
  return 1 - seen.size / total;
}

export function maxCharRun(text: string): number {
  let best = 0;
  for (const m of text.toLowerCase().matchAll(/([\p{L}\p{N}])\1*/gu)) {
    const n = [...m[0]].length;
    if (n > best) best = n;
  }
  return best;
}

export function scoreQuality(text: string, options: QualityOptions = {}): QualityResult {
  const w = options.weights ?? DEFAULT_WEIGHTS;
  const minGood = options.min_good_units ?? 16;
  const chars = [...text].length;
  const nonSpace = count(text, NON_SPACE);
  const letters = count(text, LETTERS);
  const script = detectScript(text);
  const lang = detectLanguage(text, script);
  const units = lengthUnits(text, script);
  const letterShare = nonSpace === 0 ? 0 : letters / nonSpace;
  const dup = duplicateNgramShare(text, UNSEGMENTED.has(script.script));
  const run = maxCharRun(text);
  const control = count(text, CONTROL);
  const replacement = count(text, REPLACEMENT);
  const garbageCount = control + replacement + count(text, LONE_SURROGATE) + count(text, PRIVATE_USE);
  const garbageShare = chars === 0 ? 0 : garbageCount / chars;
  const markers = count(text, MOJIBAKE);

  const components: QualityComponents = {
    length: round4(Math.min(1, units / minGood)),
    alpha_ratio: round4(ramp(letterShare, 0.2, 0.6)),
    repetition: round4(Math.min(1 - ramp(dup, 0.15, 0.65), 1 - ramp(run, 8, 28))),
    garbage: round4(1 - ramp(garbageShare, 0, 0.05)),
    mojibake: round4(Math.max(0, 1 - markers / (1 + chars / 200))),
  };
  const body = (w.length * components.length + w.alpha_ratio * components.alpha_ratio + w.repetition * components.repetition) / (w.length + w.alpha_ratio + w.repetition);
  return {
    score: nonSpace === 0 ? 0 : round4(Math.min(components.garbage, components.mojibake) * body),
    components,
    signals: {
      chars,
      length_units: units,
      letter_share: round4(letterShare),
      dup_ngram_share: round4(dup),
      max_char_run: run,
      control_chars: control,
      replacement_chars: replacement,
      garbage_share: round4(garbageShare),
      mojibake_markers: markers,
    },
    script: script.script,
    language: lang.language,
    language_confidence: lang.confidence,
  };
}
