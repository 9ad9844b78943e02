/**
 * The clean and prepare jobs over a real artifact store on disk, with real rows (UCI sentiment sentences, SMS spam)
 * plus planted PII and duplicates: counts add up, lineage covers every row and holds no PII text, blocked PII
 * writes nothing, splits are disjoint and reproducible, leakage stops a prepare.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import type { CleaningLineageEntry, TransformedRow } from '@distillery/contracts';
import { createMapperRegistry } from '@distillery/mappers';
import { SENTIMENT_IMDB, SENTIMENT_YELP, SMS_SPAM } from '@distillery/testing-datasets';
import { runCleanJob, runPrepareJob, type DatasetInputRef } from '../src/index.js';

const store = new FileArtifactStore(mkdtempSync(join(tmpdir(), 'distillery-prep-jobs-')));
const schema = createMapperRegistry().get('label_to_classification')!.output_schema;

const row = (id: number, text: string, label: string): TransformedRow => ({
  row_id: id.toString(16).padStart(32, '0'),
  source: { locator: 'jsonl:test.jsonl', resolved: '/data/test.jsonl', position: id },
  task_profile: 'classification',
  record: { text, label },
});

/** 60 real sentences (IMDB + Yelp + SMS), two planted duplicates, two rows with PII. */
function realRows(): TransformedRow[] {
  const texts = [
    ...SENTIMENT_IMDB.rows.map((r) => [String(r['column_1']).trim(), String(r['column_2'])]),
    ...SENTIMENT_YELP.rows.map((r) => [String(r['column_1']).trim(), String(r['column_2'])]),
    ...SMS_SPAM.rows.slice(0, 20).map((r) => [String(r['v2']), r['v1'] === 'spam' ? '1' : '0']),
  ];
  const rows = texts.map(([t, l], i) => row(i, t!, l!));
  rows.push(row(1000, texts[3]![0]!, texts[3]![1]!)); // exact duplicate of row 3
  rows.push(row(1001, `${texts[2]![0]!} Really dull.`, texts[2]![1]!)); // near duplicate of row 2 (two more words)
  rows.push(row(1002, 'Loved it, write to me at jane.doe@example.org or call +44 20 7946 0958 any time', '1'));
  rows.push(row(1003, 'Refund went to card 4539 1488 0343 6467 and it still has not arrived, awful service', '0'));
  return rows;
}

async function inputOf(rows: TransformedRow[]): Promise<DatasetInputRef> {
  return { import_run_id: 'import-1', locator: 'jsonl:test.jsonl', mapper_id: 'label_to_classification', rows: rows.length, ref: await store.putJsonl(rows) };
}

async function readAll<T>(ref: { uri: string }): Promise<T[]> {
  const out: T[] = [];
  for await (const r of store.readJsonl<T>(ref)) out.push(r);
  return out;
}

describe('the clean job', () => {
  it('redacts PII, removes duplicates, and accounts for every row in the report and the lineage', async () => {
    const rows = realRows();
    const progress: number[] = [];
    const r = await runCleanJob(store, { task_profile: 'classification', inputs: [await inputOf(rows)], policy: {}, onProgress: (p) => progress.push(p.rows_done) });
    const removed = Object.values(r.report.removed).reduce((a, b) => a + (b ?? 0), 0);
    expect(r.report.rows_in).toBe(rows.length);
    expect(r.report.rows_out + removed).toBe(rows.length);
    expect(r.report.removed.exact_duplicate).toBe(1);
    expect(r.report.removed.near_duplicate).toBe(1);
    // The SMS spam rows hold real premium-rate numbers, so phones are counted beyond the planted one.
    expect(r.report.pii.findings_by_kind).toMatchObject({ email: 1, credit_card: 1 });
    expect(r.report.pii.findings_by_kind.phone).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toBe(rows.length);

    const kept = await readAll<TransformedRow>(r.cleaned_ref!);
    expect(kept).toHaveLength(r.report.rows_out);
    const pii = kept.find((k) => k.row_id === row(1002, '', '').row_id)!;
    expect(pii.record['text']).not.toContain('jane.doe@example.org');
    expect(pii.record['text']).toContain('[EMAIL]');
    expect(kept.some((k) => k.row_id === row(1000, '', '').row_id)).toBe(false);

    const lineage = await readAll<CleaningLineageEntry>(r.lineage_ref);
    expect(lineage.map((l) => l.row_id)).toEqual(rows.map((x) => x.row_id));
    const dup = lineage.find((l) => l.row_id === row(1000, '', '').row_id)!;
    expect(dup).toMatchObject({ kept: false, reason: 'exact_duplicate', dedup: { exact_of: row(3, '', '').row_id, cluster_id: row(3, '', '').row_id } });
    expect(lineage.find((l) => l.row_id === row(1001, '', '').row_id)).toMatchObject({ kept: false, reason: 'near_duplicate', dedup: { near_of: row(2, '', '').row_id } });
    expect(lineage.find((l) => l.row_id === row(1002, '', '').row_id)!.pii!.map((p) => p.kind).sort()).toEqual(['email', 'phone']);
    const card = lineage.find((l) => l.row_id === row(1003, '', '').row_id)!;
    expect(card.pii).toEqual([expect.objectContaining({ kind: 'credit_card', action: 'redact', field: 'text' })]);
    // The lineage artifact carries findings, never the PII itself.
    const raw = (await store.readBytes(r.lineage_ref)).toString('utf8');
    expect(raw).not.toContain('4539 1488 0343 6467');
    expect(raw).not.toContain('jane.doe');
  });

  it('writes no cleaned rows when the policy blocks a kind of PII that is present, and names the rows', async () => {
    const rows = realRows();
    const r = await runCleanJob(store, { task_profile: 'classification', inputs: [await inputOf(rows)], policy: { pii: { action: 'redact', per_kind: { credit_card: 'block' } } } });
    expect(r.cleaned_ref).toBeUndefined();
    expect(r.outcome.pii_block).toEqual({ kinds: ['credit_card'], rows_affected: 1 });
    expect(r.blocked_row_ids).toEqual([row(1003, '', '').row_id]);
  });

  it('reads a row met in two imports once (the same source imported twice), and says so', async () => {
    const rows = realRows();
    const input = await inputOf(rows);
    const r = await runCleanJob(store, { task_profile: 'classification', inputs: [input, { ...input, import_run_id: 'import-2' }], policy: {} });
    expect(r.report.rows_in).toBe(rows.length);
    expect(r.repeated_row_ids).toBe(rows.length);
    expect(r.report.removed.exact_duplicate).toBe(1);
  });

  it('refuses a dataset whose rows are of another task profile, naming the row and the import', async () => {
    const rows = [{ ...row(1, 'hello there', '1'), task_profile: 'qa' as const }];
    await expect(runCleanJob(store, { task_profile: 'classification', inputs: [await inputOf(rows)], policy: {} })).rejects.toThrow(/row 0+1 of jsonl:test.jsonl \(import import-1, line 1\) is qa/);
  });
});

describe('the prepare job', () => {
  const prepare = async (rows: TransformedRow[], extra: Partial<Parameters<typeof runPrepareJob>[1]> = {}) =>
    runPrepareJob(store, {
      project_id: 'p',
      dataset_id: 'ds-p',
      task_profile: 'classification',
      dataset_ref: await store.putJsonl(rows),
      rows_dropped: 3,
      inputs: [await inputOf(rows)],
      output_schema: schema,
      strategy: { kind: 'stratified', field: 'label', seed: 7 },
      created_at: '2026-11-22T00:00:00.000Z',
      ...extra,
    });

  /** 400 distinct synthetic reviews over two labels: 12 words each drawn from the real sentences' vocabulary. */
  const distinct = (): TransformedRow[] => {
    const vocab = [...new Set([...SENTIMENT_IMDB.rows, ...SENTIMENT_YELP.rows].flatMap((r) => String(r['column_1']).toLowerCase().match(/[a-z]+/g) ?? []))];
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % vocab.length;
    return Array.from({ length: 400 }, (_, i) => row(i, Array.from({ length: 12 }, () => vocab[next()]).join(' '), String(i % 3 === 0 ? 1 : 0)));
  };

  it('writes disjoint train / eval / gold with stratified labels and a valid manifest', async () => {
    const rows = distinct();
    const r = await prepare(rows);
    if (!r.ok) throw new Error('expected ok');
    const m = r.manifest;
    expect(m.counts).toEqual({ train: 320, eval: 40, gold: 40, dropped: 3 });
    expect(m.label_set).toEqual(['0', '1']);
    const splits = { train: await readAll<TransformedRow>(m.artifacts.train), eval: await readAll<TransformedRow>(m.artifacts.eval), gold: await readAll<TransformedRow>(m.artifacts.gold) };
    const ids = Object.values(splits).flatMap((s) => s.map((x) => x.row_id));
    expect(new Set(ids).size).toBe(400);
    const goldIds = new Set(splits.gold.map((x) => x.row_id));
    expect(splits.train.filter((x) => goldIds.has(x.row_id))).toEqual([]);
    // stratified: each split keeps the 1:2 label balance (±1 row).
    const ones = (s: TransformedRow[]) => s.filter((x) => x.record['label'] === '1').length;
    expect(Math.abs(ones(splits.gold) - 40 / 3)).toBeLessThanOrEqual(1);
    expect(Math.abs(ones(splits.eval) - 40 / 3)).toBeLessThanOrEqual(1);
    const onDisk = JSON.parse((await store.readBytes(r.manifest_ref)).toString('utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(m)));
    expect(r.leakage.overlapping_rows).toBe(0);
  });

  it('is reproducible: the same rows and seed give byte-identical artifacts, any order the same splits; another seed moves rows', async () => {
    const rows = distinct();
    const [a, again, reversed, otherSeed] = [await prepare(rows), await prepare(rows), await prepare([...rows].reverse()), await prepare(rows, { strategy: { kind: 'stratified', field: 'label', seed: 8 } })];
    if (!a.ok || !again.ok || !reversed.ok || !otherSeed.ok) throw new Error('expected ok');
    expect(again.manifest.artifacts).toEqual(a.manifest.artifacts);
    const ids = async (ref: { uri: string }) => new Set((await readAll<TransformedRow>(ref)).map((x) => x.row_id));
    expect(await ids(reversed.manifest.artifacts.gold)).toEqual(await ids(a.manifest.artifacts.gold));
    expect(await ids(otherSeed.manifest.artifacts.gold)).not.toEqual(await ids(a.manifest.artifacts.gold));
  });

  it('stops with the leaking pairs when held-out rows repeat train rows above the allowed share', async () => {
    const base = distinct();
    // Every row twice under another id: about a fifth of each copy pair straddles train and eval/gold.
    const doubled = [...base, ...base.map((x, i) => ({ ...x, row_id: (5000 + i).toString(16).padStart(32, '0') }))];
    const r = await prepare(doubled);
    expect(r.ok).toBe(false);
    expect(r.leakage.exceeds).toBe(true);
    expect(r.leakage.overlapping_rows).toBeGreaterThan(40);
    const ex = r.leakage.examples[0]!;
    expect(ex.kind).toBe('exact');
    const text = (id: string) => doubled.find((x) => x.row_id === id)!.record['text'];
    expect(text(ex.train_row_id)).toBe(text(ex.other_row_id));
    // With a tolerance above the measured share the same data prepares, and the leakage is still reported.
    const tolerated = await prepare(doubled, { leakage_max_share: 0.99 });
    expect(tolerated.ok).toBe(true);
    expect(tolerated.leakage.overlapping_rows).toBe(r.leakage.overlapping_rows);
  });

  it('group_disjoint keeps every group in one split', async () => {
    const rows = distinct().map((x, i) => ({ ...x, record: { ...x.record, meta: { speaker: `s${i % 37}` } } }));
    const r = await prepare(rows, { strategy: { kind: 'group_disjoint', field: 'meta.speaker', seed: 1 } });
    if (!r.ok) throw new Error('expected ok');
    const where = new Map<string, Set<string>>();
    for (const s of ['train', 'eval', 'gold'] as const) {
      for (const x of await readAll<TransformedRow>(r.manifest.artifacts[s])) {
        const sp = (x.record['meta'] as { speaker: string }).speaker;
        where.set(sp, (where.get(sp) ?? new Set()).add(s));
      }
    }
    expect([...where.values()].every((s) => s.size === 1)).toBe(true);
    expect(where.size).toBe(37);
    expect(r.manifest.split.strategy).toEqual({ kind: 'group_disjoint', field: 'meta.speaker', seed: 1 });
  });
});
