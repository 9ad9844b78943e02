import { detectScript, type ScriptProfile } from './script.js';

/**
 * Rough language identification. Latin-script text: stopword hits for en, fr, de, es, it, pt, nl plus a few
 * letters that only some of them use (ß, ñ, ã…). Other scripts: the script's main language (Hangul → ko, Kana → ja,
 * Han → zh, Cyrillic → ru or uk, …) with a lower confidence where several languages share the script. `und` when
 * unsure. Used for the report's language distribution and for nothing that drops rows.
 */
export const LATIN_LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'pt', 'nl'] as const;
export type LatinLanguage = (typeof LATIN_LANGUAGES)[number];

const words = (s: string): ReadonlySet<string> => new Set(s.split(' '));

const STOPWORDS: Readonly<Record<LatinLanguage, ReadonlySet<string>>> = {
  en: words('the and of to a in is it that was for on are with as i you he she they be this have not but at by from or we his her an were which there been my your what do so if would can will all just me'),
  fr: words('le la les de des du un une et est en que qui dans pour pas au aux sur avec ce cette il elle nous vous ils sont mais ou par plus son sa ses je ne se été leur très comme aussi'),
  de: words('der die das und ist nicht ein eine einen zu den dem mit sich auf für von im auch es ich du wir sie er aber wie noch bei nach aus wenn oder sind war werden hat haben dass nur kann schon'),
  es: words('el la los las de del y que en un una es por con no para se lo su sus al como más pero muy este esta está son ha fue yo también hay porque cuando sin sobre ya'),
  it: words('il lo la gli le di del della che e è un una per non con in si sono da dei al alla ma come più anche questo questa ho ha nel nella molto perché quando essere io'),
  pt: words('o a os as de do da dos das e que em um uma é não para com por se no na nos mais mas como ao foi são está muito também eu você ele ela isso isto quando já'),
  nl: words('de het een en van in is dat op te zijn met voor niet er aan ook als maar om bij door naar dan wat nog wel ik je we hij zij was heeft worden wordt kan geen deze dit uit'),
};

/** Letters that point at one language. */
const HINTS: ReadonlyArray<readonly [RegExp, LatinLanguage]> = [
  [/ß/, 'de'],
  [/[äöü]/i, 'de'],
  [/[ñ¿¡]/i, 'es'],
  [/[ãõ]/i, 'pt'],
  [/œ|(?<!\p{L})(?:où|être|déjà|français)(?!\p{L})/iu, 'fr'],
  [/\bij\b|ij[a-z]/i, 'nl'],
];

/** Language of a non-Latin script, with a confidence reflecting how many languages share it. */
const SCRIPT_LANGUAGE: Readonly<Record<string, readonly [string, number]>> = {
  Greek: ['el', 0.9],
  Hebrew: ['he', 0.8],
  Arabic: ['ar', 0.6],
  Devanagari: ['hi', 0.6],
  Bengali: ['bn', 0.8],
  Gurmukhi: ['pa', 0.9],
  Gujarati: ['gu', 0.9],
  Tamil: ['ta', 0.9],
  Telugu: ['te', 0.9],
  Kannada: ['kn', 0.9],
  Malayalam: ['ml', 0.9],
  Sinhala: ['si', 0.9],
  Thai: ['th', 0.9],
  Lao: ['lo', 0.9],
  Myanmar: ['my', 0.8],
  Georgian: ['ka', 0.9],
  Armenian: ['hy', 0.9],
  Hangul: ['ko', 0.95],
  Khmer: ['km', 0.9],
  Ethiopic: ['am', 0.6],
  Tibetan: ['bo', 0.8],
};

export interface LanguageGuess {
  /** ISO 639-1 code, or `und`. */
  readonly language: string;
  readonly confidence: number;
  readonly script: ScriptProfile['script'];
}

export function detectLanguage(text: string, script: ScriptProfile = detectScript(text)): LanguageGuess {
  const s = script.script;
  if (s === 'Zyyy') return { language: 'und', confidence: 0, script: s };
  if (s === 'Han' || s === 'Kana') {
    const kana = script.counts.Kana ?? 0;
    const han = script.counts.Han ?? 0;
    return kana >= 0.1 * (kana + han) ? { language: 'ja', confidence: 0.9, script: s } : { language: 'zh', confidence: 0.8, script: s };
  }
  if (s === 'Cyrillic') {
    return /[іїєґ]/i.test(text) ? { language: 'uk', confidence: 0.8, script: s } : { language: 'ru', confidence: 0.6, script: s };
  }
  if (s !== 'Latin') {
    const [language, confidence] = SCRIPT_LANGUAGE[s] ?? ['und', 0];
    return { language, confidence, script: s };
  }
  const hits: Record<LatinLanguage, number> = { en: 0, fr: 0, de: 0, es: 0, it: 0, pt: 0, nl: 0 };
  const tokens = text.toLowerCase().match(/[\p{L}\p{M}]+/gu) ?? [];
  for (const t of tokens) for (const l of LATIN_LANGUAGES) if (STOPWORDS[l].has(t)) hits[l]++;
  for (const [re, l] of HINTS) if (re.test(text)) hits[l] += 1;
  const ranked = [...LATIN_LANGUAGES].sort((a, b) => hits[b] - hits[a]);
  const top = ranked[0] ?? 'en';
  const first = hits[top];
  const second = hits[ranked[1] ?? 'en'];
  if (first < 2 || first === second) return { language: 'und', confidence: 0, script: s };
  const confidence = Math.round(Math.min(0.95, (first - second) / first + 0.3) * 100) / 100;
  return { language: top, confidence, script: s };
}
