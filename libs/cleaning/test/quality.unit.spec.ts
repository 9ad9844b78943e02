import { describe, expect, it } from '@jest/globals';
import { detectLanguage, detectScript, duplicateNgramShare, lengthUnits, maxCharRun, scoreQuality } from '../src/index.js';
import { ALICE, SMS } from './fixtures.js';

/** One clean sentence per language, same meaning (written for these tests). */
const CLEAN = {
  en: 'Yesterday we walked in the park and fed the ducks by the pond.',
  fr: "Hier, nous nous sommes promenés dans le parc et nous avons nourri les canards près de l'étang.",
  de: 'Gestern sind wir im Park spazieren gegangen und haben die Enten am Teich gefüttert.',
  es: 'Ayer paseamos por el parque y dimos de comer a los patos junto al estanque.',
  it: 'Ieri abbiamo passeggiato nel parco e abbiamo dato da mangiare alle anatre vicino allo stagno.',
  pt: 'Ontem passeamos no parque e demos comida aos patos perto do lago.',
  nl: 'Gisteren hebben we in het park gewandeld en de eenden bij de vijver gevoerd.',
  ru: 'Вчера мы гуляли в парке и кормили уток у пруда.',
  zh: '我们昨天在公园里散步，还给池塘里的鸭子喂了面包。',
  ja: '昨日は公園を散歩して、池のそばでアヒルに餌をあげました。',
  ko: '어제 우리는 공원을 산책하고 연못가에서 오리에게 먹이를 주었다.',
  ar: 'مشينا أمس في الحديقة وأطعمنا البط بجانب البركة.',
  hi: 'कल हम पार्क में टहले और तालाब के पास बत्तखों को खाना खिलाया।',
  el: 'Χθες περπατήσαμε στο πάρκο και ταΐσαμε τις πάπιες δίπλα στη λίμνη.',
  he: 'אתמול טיילנו בפארק והאכלנו את הברווזים ליד הבריכה.',
  th: 'เมื่อวานเราเดินเล่นในสวนสาธารณะและให้อาหารเป็ดริมบ่อน้ำ',
} as const;

describe('quality does not penalise non-English text', () => {
  it.each(Object.entries(CLEAN))('%s: a clean sentence scores like the English one', (_lang, text) => {
    const q = scoreQuality(text);
    const en = scoreQuality(CLEAN.en);
    expect(en.score).toBe(1);
    expect(q.score).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(q.score - en.score)).toBeLessThanOrEqual(0.05);
    expect(q.components.alpha_ratio).toBe(1);
    expect(q.components.length).toBe(1);
  });

  it('counts ideographs as more than one unit, so a short Chinese sentence is not "short"', () => {
    expect(lengthUnits(CLEAN.zh)).toBeGreaterThan(3 * 20);
    expect(lengthUnits('ok')).toBe(2);
  });
});

describe('script and language detection', () => {
  it.each([
    ['en', 'Latin'],
    ['fr', 'Latin'],
    ['de', 'Latin'],
    ['es', 'Latin'],
    ['it', 'Latin'],
    ['pt', 'Latin'],
    ['nl', 'Latin'],
    ['ru', 'Cyrillic'],
    ['zh', 'Han'],
    ['ja', 'Kana'],
    ['ko', 'Hangul'],
    ['ar', 'Arabic'],
    ['hi', 'Devanagari'],
    ['el', 'Greek'],
    ['he', 'Hebrew'],
    ['th', 'Thai'],
  ] as const)('%s → script %s', (lang, script) => {
    const q = scoreQuality(CLEAN[lang]);
    expect(q.script).toBe(script);
    expect(q.language).toBe(lang);
  });

  it('real English prose (Alice) is English; digits-only text has no script and no language', () => {
    expect(detectLanguage(ALICE).language).toBe('en');
    const digits = detectScript('12 345 678');
    expect(digits.script).toBe('Zyyy');
    expect(detectLanguage('12 345 678', digits).language).toBe('und');
  });

  it('too little evidence stays undetermined', () => {
    expect(detectLanguage('Ok lar').language).toBe('und');
  });

  it('mixed scripts report the dominant one with its share', () => {
    const s = detectScript('Привет, world');
    expect(s.script).toBe('Cyrillic');
    expect(s.share).toBeCloseTo(6 / 11, 5);
  });
});

describe('quality components catch what they should', () => {
  it('mojibake (UTF-8 read as Windows-1252) drives the score to 0; the clean original scores 1', () => {
    const broken = "L'Ã©tÃ© dernier, nous sommes allÃ©s Ã\u00a0la plage avec nos amis."; // à → C3 A0 → "Ã" + NBSP
    const fixed = "L'été dernier, nous sommes allés à la plage avec nos amis.";
    const q = scoreQuality(broken);
    expect(q.signals.mojibake_markers).toBe(4);
    expect(q.components.mojibake).toBe(0);
    expect(q.score).toBe(0);
    expect(scoreQuality(fixed).score).toBe(1);
    expect(scoreQuality('It doesnâ€™t work â€“ again.').signals.mojibake_markers).toBe(2);
  });

  it('Portuguese capitals like SÃO PAULO are not mojibake', () => {
    expect(scoreQuality('Voo para SÃO PAULO amanhã cedo.').signals.mojibake_markers).toBe(0);
  });

  it('replacement and control characters (real SMS row with legacy bytes) lower the garbage component', () => {
    const q = scoreQuality(SMS.legacyBytes);
    expect(q.signals.replacement_chars).toBe(4);
    expect(q.components.garbage).toBeLessThan(0.5);
    const ctl = scoreQuality('Hello\u0000\u0007 world, this is fine otherwise.');
    expect(ctl.signals.control_chars).toBe(2);
    expect(ctl.components.garbage).toBeLessThan(1);
    expect(scoreQuality('Tabs\tand\nnewlines\r\nare fine here.').signals.control_chars).toBe(0);
  });

  it('repetition: repeated n-grams and long character runs', () => {
    const spammy = Array.from({ length: 12 }, () => 'buy now buy now').join(' ');
    expect(duplicateNgramShare(spammy, false)).toBeGreaterThan(0.8);
    expect(scoreQuality(spammy).components.repetition).toBe(0);
    expect(duplicateNgramShare(ALICE, false)).toBeLessThan(0.05);
    expect(maxCharRun(`S${'o'.repeat(30)} good`)).toBe(30);
    expect(maxCharRun(SMS.fffff)).toBe(10);
    expect(scoreQuality(SMS.fffff).components.repetition).toBe(0.9);
  });

  it('alpha ratio: receipts full of numbers score lower than prose', () => {
    const receipt = scoreQuality('31.00 101.00 70.00 15.50 2 01 09/01/2019 8:01:11');
    expect(receipt.components.alpha_ratio).toBe(0);
    expect(receipt.score).toBe(0.6); // 0.25·length + 0.35·repetition: numbers alone are not garbage
    expect(scoreQuality(ALICE).score).toBe(1);
  });

  it('length: very short texts score low, empty text scores 0', () => {
    expect(scoreQuality('ok').components.length).toBe(0.125);
    expect(scoreQuality('').score).toBe(0);
  });

  it('weights are configurable and the score stays within 0..1', () => {
    const q = scoreQuality('ok', { weights: { length: 0, alpha_ratio: 1, repetition: 1 } });
    expect(q.score).toBe(1);
    expect(scoreQuality(SMS.okLar).score).toBeGreaterThan(0.9);
  });
});
