/**
 * Writing-system detection from Unicode block ranges (The Unicode Standard, Blocks.txt). Only letters and combining
 * marks of a script's blocks count; digits, punctuation, symbols and spaces are "Common" and ignored.
 */
export const SCRIPTS = [
  'Latin',
  'Greek',
  'Cyrillic',
  'Armenian',
  'Hebrew',
  'Arabic',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Tibetan',
  'Myanmar',
  'Georgian',
  'Hangul',
  'Ethiopic',
  'Khmer',
  'Kana',
  'Han',
] as const;
export type Script = (typeof SCRIPTS)[number];

/** [from, to, script], inclusive code point ranges, sorted by `from`. */
const RANGES: ReadonlyArray<readonly [number, number, Script]> = [
  [0x0041, 0x005a, 'Latin'],
  [0x0061, 0x007a, 'Latin'],
  [0x00aa, 0x00aa, 'Latin'],
  [0x00ba, 0x00ba, 'Latin'],
  [0x00c0, 0x00d6, 'Latin'],
  [0x00d8, 0x00f6, 'Latin'],
  [0x00f8, 0x024f, 'Latin'],
  [0x0250, 0x02af, 'Latin'], // IPA extensions
  [0x0370, 0x0373, 'Greek'],
  [0x0376, 0x037d, 'Greek'],
  [0x0386, 0x03ff, 'Greek'],
  [0x0400, 0x052f, 'Cyrillic'],
  [0x0531, 0x058f, 'Armenian'],
  [0x0591, 0x05f4, 'Hebrew'],
  [0x0610, 0x061a, 'Arabic'],
  [0x0620, 0x065f, 'Arabic'],
  [0x066e, 0x06d3, 'Arabic'],
  [0x06d5, 0x06ff, 'Arabic'],
  [0x0750, 0x077f, 'Arabic'],
  [0x08a0, 0x08ff, 'Arabic'],
  [0x0900, 0x0963, 'Devanagari'],
  [0x0966, 0x097f, 'Devanagari'],
  [0x0980, 0x09ff, 'Bengali'],
  [0x0a00, 0x0a7f, 'Gurmukhi'],
  [0x0a80, 0x0aff, 'Gujarati'],
  [0x0b80, 0x0bff, 'Tamil'],
  [0x0c00, 0x0c7f, 'Telugu'],
  [0x0c80, 0x0cff, 'Kannada'],
  [0x0d00, 0x0d7f, 'Malayalam'],
  [0x0d80, 0x0dff, 'Sinhala'],
  [0x0e01, 0x0e3a, 'Thai'],
  [0x0e40, 0x0e4e, 'Thai'],
  [0x0e80, 0x0eff, 'Lao'],
  [0x0f00, 0x0fff, 'Tibetan'],
  [0x1000, 0x109f, 'Myanmar'],
  [0x10a0, 0x10ff, 'Georgian'],
  [0x1100, 0x11ff, 'Hangul'],
  [0x1200, 0x139f, 'Ethiopic'],
  [0x1780, 0x17ff, 'Khmer'],
  [0x1c80, 0x1c8f, 'Cyrillic'],
  [0x1e00, 0x1eff, 'Latin'],
  [0x1f00, 0x1fff, 'Greek'],
  [0x2c60, 0x2c7f, 'Latin'],
  [0x2de0, 0x2dff, 'Cyrillic'],
  [0x2e80, 0x2fdf, 'Han'],
  [0x3005, 0x3005, 'Han'],
  [0x3007, 0x3007, 'Han'],
  [0x3021, 0x3029, 'Han'],
  [0x3041, 0x309f, 'Kana'],
  [0x30a1, 0x30ff, 'Kana'],
  [0x3131, 0x318f, 'Hangul'],
  [0x31f0, 0x31ff, 'Kana'],
  [0x3400, 0x4dbf, 'Han'],
  [0x4e00, 0x9fff, 'Han'],
  [0xa640, 0xa69f, 'Cyrillic'],
  [0xa720, 0xa7ff, 'Latin'],
  [0xab30, 0xab6f, 'Latin'],
  [0xac00, 0xd7af, 'Hangul'],
  [0xf900, 0xfaff, 'Han'],
  [0xfb1d, 0xfb4f, 'Hebrew'],
  [0xfb50, 0xfdff, 'Arabic'],
  [0xfe70, 0xfeff, 'Arabic'],
  [0xff21, 0xff3a, 'Latin'],
  [0xff41, 0xff5a, 'Latin'],
  [0xff66, 0xff9d, 'Kana'],
  [0xffa0, 0xffdc, 'Hangul'],
  [0x20000, 0x2fa1f, 'Han'],
];

/** The script of one code point, or undefined for Common characters. */
export function scriptOf(cp: number): Script | undefined {
  let lo = 0;
  let hi = RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = RANGES[mid];
    if (!r) break;
    if (cp < r[0]) hi = mid - 1;
    else if (cp > r[1]) lo = mid + 1;
    else return r[2];
  }
  return undefined;
}

export interface ScriptProfile {
  /** The script with most letters, or `Zyyy` (ISO 15924 "Common") when there are none. */
  readonly script: Script | 'Zyyy';
  /** Its share of all script letters, 0..1. */
  readonly share: number;
  /** Letters per script. */
  readonly counts: Readonly<Partial<Record<Script, number>>>;
  readonly letters: number;
}

/** Counts letters per script; ties go to the script listed first in SCRIPTS. */
export function detectScript(text: string): ScriptProfile {
  const counts: Partial<Record<Script, number>> = {};
  let letters = 0;
  for (const ch of text) {
    const s = scriptOf(ch.codePointAt(0) ?? 0);
    if (!s) continue;
    counts[s] = (counts[s] ?? 0) + 1;
    letters++;
  }
  let best: Script | 'Zyyy' = 'Zyyy';
  let bestCount = 0;
  for (const s of SCRIPTS) {
    const c = counts[s] ?? 0;
    if (c > bestCount) {
      best = s;
      bestCount = c;
    }
  }
  return { script: best, share: letters === 0 ? 0 : bestCount / letters, counts, letters };
}
