import { describe, expect, it } from '@jest/globals';
import type { TransformedRow } from '@distillery/contracts';
import { Cleaner, cleaningOutcome, cleanRecord, LengthProfiler, mulberry32, type CleaningPolicy, type CleaningReport } from '../src/index.js';
import { AMAZON, BANKING77, OASST, row, SMS } from './fixtures.js';

/** A realistic classification stream: real intents and reviews, duplicates, PII (SYNTHETIC values), broken rows. */
function stream(): TransformedRow[] {
  const rows: TransformedRow[] = [];
  const add = (text: string, label: string): void => void rows.push(row('classification', { text, label }, `r${rows.length}`));
  for (const [text, label] of BANKING77) add(text, label);
  for (const t of AMAZON) add(t, 'review');
  add('How do I locate my card?', 'card_arrival'); // exact duplicate of r0
  add('how do I LOCATE my card', 'card_arrival'); // exact after normalisation
  add('If you have several dozen or several hundred contacts, then just imagine the fun of sending each of them one by one.', 'review'); // near r7
  add('My card 4111 1111 1111 1111 was charged twice, email me at jane.doe@example.com', 'card_payment_fee_charged');
  add(SMS.legacyBytes, 'sms'); // encoding garbage
  add(SMS.homeSoon, 'sms');
  add('Le paiement par carte a été refusé deux fois ce matin, pouvez-vous vérifier mon compte ?', 'declined_card_payment');
  return rows;
}

function run(policy: CleaningPolicy = {}): { results: ReturnType<Cleaner['process']>[]; report: CleaningReport } {
  const cleaner = new Cleaner({ policy });
  const results = stream().map((r) => cleaner.process(r));
  return { results, report: cleaner.report() };
}

describe('Cleaner (streaming)', () => {
  it('keeps, rewrites and removes rows with a reason each', () => {
    const { results } = run();
    const byId = new Map(results.map((r) => [r.row.row_id, r]));
    expect(byId.get('r11')?.reason).toBe('exact_duplicate');
    expect(byId.get('r11')?.findings.dedup?.exact_of).toBe('r0');
    expect(byId.get('r12')?.reason).toBe('exact_duplicate');
    expect(byId.get('r13')?.reason).toBe('near_duplicate');
    expect(byId.get('r13')?.findings.dedup?.near_of).toBe('r7');
    expect(byId.get('r15')?.reason).toBe('outlier:encoding');
    const pii = byId.get('r14');
    expect(pii?.keep).toBe(true);
    expect(pii?.row.record).toEqual({ text: 'My card [CREDIT_CARD] was charged twice, email me at [EMAIL]', label: 'card_payment_fee_charged' });
    expect(pii?.findings.pii.map((f) => f.kind)).toEqual(['credit_card', 'email']);
    expect(results.filter((r) => r.keep).map((r) => r.row.row_id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r14', 'r16', 'r17']);
  });

  it('the report adds up and carries counts only', () => {
    const { report } = run();
    expect(report.rows_in).toBe(18);
    expect(report.rows_out).toBe(14);
    expect(report.removed).toEqual({ exact_duplicate: 2, near_duplicate: 1, 'outlier:encoding': 1 });
    const removed = Object.values(report.removed).reduce((a, b) => a + (b ?? 0), 0);
    expect(report.rows_out + removed).toBe(report.rows_in);
    expect(report.pii.findings_by_kind).toEqual({ credit_card: 1, email: 1 });
    expect(report.pii.actions).toEqual({ redacted: 2, masked: 0, kept: 0, blocked: 0 });
    expect(report.pii.rows_with_pii).toBe(1);
    expect(report.quality.histogram.counts.reduce((a, b) => a + b, 0)).toBe(18);
    expect(report.languages['fr']).toBe(1);
    expect(report.languages['en']).toBeGreaterThan(10);
    expect(report.scripts).toEqual({ Latin: 18 });
    expect(report.dedup).toMatchObject({ exact_duplicates: 2, near_duplicates: 1, clusters: 2, num_perm: 128, bands: 16, rows: 8 });
    expect(report.outliers.counts.encoding).toBe(1);
    expect(report.outliers.share).toBeCloseTo(1 / 18, 4);
    expect(report.outliers.exceeds).toBe(true); // 5.6 % > default 5 %
    expect(JSON.stringify(report)).not.toContain('jane.doe');
    expect(JSON.stringify(report)).not.toContain('4111');
  });

  it('is deterministic: the same stream gives the same report', () => {
    expect(run().report).toEqual(run().report);
  });

  it('block policy: rows with PII are removed as pii_block and the outcome names the event payload', () => {
    const { results, report } = run({ pii: { action: 'block' }, outliers: { max_share: 0.5 } });
    const blocked = results.find((r) => r.row.row_id === 'r14');
    expect(blocked?.reason).toBe('pii_block');
    expect(blocked?.row.record['text']).toContain('4111 1111 1111 1111'); // untouched: the job fails instead
    expect(report.pii.blocked).toEqual({ rows_affected: 1, kinds: ['credit_card', 'email'] });
    expect(cleaningOutcome(report)).toEqual({ pii_block: { kinds: ['credit_card', 'email'], rows_affected: 1 } });
  });

  it('outliers: action flag keeps the rows, a larger max_share clears exceeds', () => {
    const { results, report } = run({ outliers: { action: 'flag', max_share: 0.1 } });
    expect(results.find((r) => r.row.row_id === 'r15')?.keep).toBe(true);
    expect(report.outliers).toMatchObject({ rows: 1, exceeds: false, action: 'flag' });
    expect(cleaningOutcome(report)).toEqual({});
    const strict = run();
    expect(cleaningOutcome(strict.report).outlier_threshold_exceeded).toEqual({ metric: 'outlier_share', share: 0.0556, threshold: 0.05 });
  });

  it('dedup can be switched off', () => {
    const { report } = run({ dedup: { exact: false, near: false } });
    expect(report.removed).toEqual({ 'outlier:encoding': 1 });
  });

  it('length outliers need stats from a first pass (LengthProfiler)', () => {
    // A long text without repeated n-grams: pseudo-words from seeded syllables.
    const rnd = mulberry32(11);
    const syllables = ['ka', 'lo', 'mi', 'ren', 'tas', 'vu', 'de', 'nor', 'pi', 'sel', 'ga', 'tho'];
    const word = (): string => Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => syllables[Math.floor(rnd() * syllables.length)]).join('');
    const huge = Array.from({ length: 2500 }, word).join(' ');
    const rows = [...stream(), row('classification', { text: huge, label: 'review' }, 'huge')];
    const profiler = new LengthProfiler();
    for (const r of rows) profiler.addRecord(r.task_profile, r.record);
    const withStats = new Cleaner({ length_stats: profiler.stats(), policy: { outliers: { max_share: 1, length: { min_rows: 10 } } } });
    const withoutStats = new Cleaner();
    const a = rows.map((r) => withStats.process(r)).find((r) => r.row.row_id === 'huge');
    const b = rows.map((r) => withoutStats.process(r)).find((r) => r.row.row_id === 'huge');
    expect(a?.reason).toBe('outlier:length');
    expect(b?.keep).toBe(true);
    expect(withStats.report().outliers.length_fences.source).toBe('stats');
    expect(withoutStats.report().outliers.length_fences.source).toBe('absolute');
  });

  it('mask policy on chat rows rewrites only message contents', () => {
    const cleaner = new Cleaner({ policy: { pii: { action: 'mask' } } });
    const r = cleaner.process(
      row('chat_sft', { messages: [{ role: 'user', content: `${OASST.user} My number is +44 20 7946 0958.` }, { role: 'assistant', content: OASST.assistant }] }, 'c1'),
    );
    expect(r.keep).toBe(true);
    const messages = r.row.record['messages'] as Array<{ role: string; content: string }>;
    expect(messages[0]?.content.endsWith('My number is +** ** **** **58.')).toBe(true);
    expect(messages[1]?.content).toBe(OASST.assistant);
    expect(cleaner.report().pii.actions.masked).toBe(1);
  });
});

describe('dedup fields per task profile', () => {
  // A SQuAD-style paragraph with several questions: the shared context is material, not the example.
  const context =
    'The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France. They were descended from Norse raiders and pirates from Denmark, Iceland and Norway.';
  const rag = (id: string, question: string, answer: string) => row('rag_qa', { question, context, answer }, id);

  it('rag_qa: questions on the same passage are not duplicates; the same question and answer is', () => {
    const cleaner = new Cleaner();
    const a = cleaner.process(rag('q1', 'In what country is Normandy located?', 'France'));
    const b = cleaner.process(rag('q2', 'From which countries did the Norse originate?', 'Denmark, Iceland and Norway'));
    const c = cleaner.process(rag('q3', 'In what country is Normandy located?', 'France'));
    expect([a.keep, b.keep, c.keep]).toEqual([true, true, false]);
    expect(c.reason).toBe('exact_duplicate');
  });

  it('a policy can choose the dedup fields (here: one row per passage)', () => {
    const cleaner = new Cleaner({ policy: { dedup_fields: { rag_qa: ['context'] } } });
    cleaner.process(rag('q1', 'In what country is Normandy located?', 'France'));
    const dup = cleaner.process(rag('q2', 'From which countries did the Norse originate?', 'Denmark, Iceland and Norway'));
    expect(dup.keep).toBe(false);
    expect(dup.reason).toBe('exact_duplicate');
  });
});

describe('cleanRecord', () => {
  it('cleans one record without dataset state', () => {
    const r = cleanRecord(row('qa', { question: 'Who wrote to ceo@example.com?', answer: 'The board' }));
    expect(r.keep).toBe(true);
    expect(r.row.record).toEqual({ question: 'Who wrote to [EMAIL]?', answer: 'The board' });
    expect(r.findings.dedup).toBeUndefined();
    expect(cleanRecord(row('language_modeling', { text: SMS.legacyBytes })).reason).toBe('outlier:encoding');
  });
});
