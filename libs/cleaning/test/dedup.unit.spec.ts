import { describe, expect, it } from '@jest/globals';
import {
  candidateProbability,
  contentHash,
  DedupIndex,
  DuplicateRowIdError,
  jaccard,
  LshIndex,
  lshThreshold,
  MinHasher,
  normalizeText,
  signatureSimilarity,
} from '../src/index.js';
import { ALICE, AMAZON, BANKING77, OASST, SMS, SQUAD_NORMANS } from './fixtures.js';

describe('normalizeText / contentHash', () => {
  it('folds NFKC forms, case, punctuation and whitespace', () => {
    expect(normalizeText('  Ｈｅｌｌｏ,\u00a0WORLD!!\n\tﬁne… ')).toBe('hello world fine');
    expect(contentHash('How do I locate my card?')).toBe(contentHash('how do i   LOCATE my card'));
    expect(contentHash('How do I locate my card?')).not.toBe(contentHash('How do I locate my cards?'));
    expect(contentHash('x')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('keeps letters of every script and digits', () => {
    expect(normalizeText('Вчера, в 10:30 — 我们!')).toBe('вчера в 10 30 我们');
  });
});

describe('MinHash + LSH', () => {
  const a = SQUAD_NORMANS.context;
  const oneWord = a.replace('pirates', 'sailors');

  it('estimates Jaccard within a few hundredths of the exact value', () => {
    const h = new MinHasher();
    for (const [x, y] of [
      [a, oneWord],
      [a, a.slice(0, 250)],
      [ALICE, OASST.assistant],
    ] as const) {
      const est = signatureSimilarity(h.signature(x)!, h.signature(y)!);
      expect(Math.abs(est - jaccard(x, y))).toBeLessThan(0.1);
    }
    expect(jaccard(a, oneWord)).toBeGreaterThan(0.9);
    expect(jaccard(ALICE, OASST.assistant)).toBeLessThan(0.1);
  });

  it('is deterministic for a seed and changes with it', () => {
    expect(new MinHasher({ seed: 1 }).signature(a)).toEqual(new MinHasher({ seed: 1 }).signature(a));
    expect(new MinHasher({ seed: 1 }).signature(a)).not.toEqual(new MinHasher({ seed: 2 }).signature(a));
    expect(new MinHasher().signature(' ?! ')).toBeUndefined();
  });

  it('16 bands × 8 rows: S-curve midpoint ≈ 0.71, recall ≈ 0.95 at J = 0.8, ≈ 0.06 at J = 0.5', () => {
    expect(lshThreshold(16, 8)).toBeCloseTo(0.707, 3);
    expect(candidateProbability(0.8, 16, 8)).toBeGreaterThan(0.94);
    expect(candidateProbability(0.5, 16, 8)).toBeLessThan(0.07);
  });

  it('LSH finds the near copy as a candidate and not the unrelated text', () => {
    const h = new MinHasher();
    const lsh = new LshIndex(128, 16);
    lsh.add(0, h.signature(a)!);
    lsh.add(1, h.signature(ALICE)!);
    expect(lsh.candidates(h.signature(oneWord)!)).toEqual([0]);
    expect(() => new LshIndex(128, 10)).toThrow(RangeError);
  });
});

describe('DedupIndex', () => {
  // BANKING77 row 3 with a second sentence, long enough that one changed word keeps Jaccard above 0.8.
  const base = 'I still have not received my new card, I ordered over a week ago. The app says it was shipped on Monday but nobody answers the phone when I call about it.';

  it('exact duplicates after normalisation point at the first row', () => {
    const idx = new DedupIndex();
    expect(idx.add('r1', base)).toMatchObject({ row_id: 'r1', cluster_id: 'r1' });
    const dup = idx.add('r2', `  ${base.toUpperCase()}  `);
    expect(dup.exact_of).toBe('r1');
    expect(dup.cluster_id).toBe('r1');
    expect(dup.near_of).toBeUndefined();
  });

  it.each([
    ['one word changed', base.replace('received', 'gotten')],
    ['punctuation and casing', 'i STILL have not received my new card -- i ordered over a week ago!! the app says it was SHIPPED on monday, but nobody answers the phone when i call about it...'],
    ['a typo and a missing word', base.replace('received', 'recieved').replace(' new ', ' ')],
    ['a word added', base.replace('nobody', 'honestly nobody')],
  ])('near copy (%s) is a near duplicate of the kept row', (_what, variant) => {
    const idx = new DedupIndex();
    idx.add('keep', base);
    const r = idx.add('copy', variant);
    expect(r.exact_of === 'keep' || r.near_of === 'keep').toBe(true);
    expect(r.cluster_id).toBe('keep');
    if (r.near_of) expect(r.similarity).toBeGreaterThanOrEqual(0.8);
  });

  it('short intents that differ in their one content word are not duplicates', () => {
    const idx = new DedupIndex();
    idx.add('locate', 'How do I locate my card?');
    const cancel = idx.add('cancel', 'How do I cancel my card?');
    expect(cancel.near_of).toBeUndefined();
    expect(cancel.exact_of).toBeUndefined();
    expect(jaccard('How do I locate my card?', 'How do I cancel my card?')).toBeLessThan(0.5);
  });

  it('different texts on the same topic are not duplicates (real BANKING77 and review rows)', () => {
    const idx = new DedupIndex();
    const texts = [...BANKING77.map(([t]) => t), ...AMAZON, SMS.jurong, SMS.homeSoon, SMS.searching];
    const results = texts.map((t, i) => idx.add(`t${i}`, t));
    expect(results.filter((r) => r.exact_of || r.near_of)).toEqual([]);
    expect(idx.clusters()).toEqual([]);
  });

  it('cluster ids are the first-seen row; a bridge row merges two clusters', () => {
    // 64 bands × 2 rows: candidates down to J ≈ 0.3, so the thresholds alone decide here.
    const idx = new DedupIndex({ near_threshold: 0.6, bands: 64 });
    const left = 'alpha bravo charlie delta echo foxtrot golf hotel india juliett';
    const right = 'kilo lima mike november oscar papa quebec romeo sierra tango';
    idx.add('a', left);
    idx.add('b', right);
    const bridge = idx.add('c', `${left} ${right}`);
    expect(bridge.near_of).toBeUndefined(); // similarity to each half is ~0.5: below the threshold
    expect(jaccard(left, `${left} ${right}`)).toBeGreaterThan(0.45);
    const idx2 = new DedupIndex({ near_threshold: 0.45, bands: 64 });
    idx2.add('a', left);
    idx2.add('b', right);
    const merged = idx2.add('c', `${left} ${right}`);
    expect(['a', 'b']).toContain(merged.near_of);
    expect(idx2.clusterOf('b')).toBe('a');
    expect(idx2.clusters()).toEqual([{ cluster_id: 'a', members: ['a', 'b', 'c'] }]);
  });

  it('is deterministic: the same stream gives the same results', () => {
    const rows = [base, base.replace('received', 'gotten'), ALICE, `${ALICE}!`, SMS.pizza];
    const run = () => {
      const idx = new DedupIndex();
      return rows.map((t, i) => idx.add(`r${i}`, t));
    };
    expect(run()).toEqual(run());
  });

  it('rejects a row id added twice, and honours exact/near switches', () => {
    const idx = new DedupIndex();
    idx.add('r1', base);
    expect(() => idx.add('r1', 'other')).toThrow(DuplicateRowIdError);
    const noExact = new DedupIndex({ exact: false, near: false });
    noExact.add('r1', base);
    expect(noExact.add('r2', base).exact_of).toBeUndefined();
    expect(noExact.params).toMatchObject({ exact: false, near: false, num_perm: 128, bands: 16, rows: 8, shingle: 'char_5gram', near_threshold: 0.8 });
  });
});
