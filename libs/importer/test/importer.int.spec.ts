import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileArtifactStore } from '@distillery/artifacts';
import { chooseMapping, commitImport, importerFromConfig, LowConfidenceError, MappingChoiceError, type RowIndex } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'importer-'));
writeFileSync(
  join(dir, 'reviews.jsonl'),
  [
    '{"review": "Loved it, would watch again.", "stars": "5"}',
    '{"review": "Terrible pacing and a weak ending.", "stars": "1"}',
    '{"review": "broken',
    '{"review": "   ", "stars": "3"}',
    ...Array.from({ length: 20 }, (_, i) => JSON.stringify({ review: `An honest review number ${i} with some words in it.`, stars: String((i % 5) + 1) })),
  ].join('\n'),
);
const deps = await importerFromConfig({ DISTILLERY_DATA_ROOTS: dir, DISTILLERY_DATA_DIR: dir, HF_ENDPOINT: 'https://huggingface.co', KAGGLE_API_URL: 'https://www.kaggle.com' });

/** An in-memory row index with the same semantics as the mapping service's table. */
class MemoryIndex implements RowIndex {
  readonly rows = new Map<string, string>();
  async claim(p: string, run: string, ids: readonly string[]) {
    const fresh = new Set<string>();
    for (const id of ids) {
      const owner = this.rows.get(`${p}/${id}`);
      if (owner === undefined || owner === run) {
        this.rows.set(`${p}/${id}`, run);
        fresh.add(id);
      }
    }
    return fresh;
  }
  async release(p: string, run: string) {
    let n = 0;
    for (const [k, v] of this.rows) if (k.startsWith(`${p}/`) && v === run && this.rows.delete(k)) n += 1;
    return n;
  }
}

describe('importer', () => {
  it('chooses explicitly, automatically, or refuses with the reason', async () => {
    const explicit = await chooseMapping(deps, { locator: 'jsonl:reviews.jsonl', mapper: 'label_to_classification', field_map: { text: 'review', label: 'stars' } });
    expect(explicit).toMatchObject({ mapper_id: 'label_to_classification', selection: 'explicit', task_profile: 'classification' });
    const auto = await chooseMapping(deps, { locator: 'jsonl:reviews.jsonl', auto: true });
    expect(auto.mapper_id).toBe('label_to_classification');
    expect(['auto', 'forced']).toContain(auto.selection);
    await expect(chooseMapping(deps, { locator: 'jsonl:reviews.jsonl' })).rejects.toThrow(MappingChoiceError);
    await expect(chooseMapping(deps, { locator: 'jsonl:reviews.jsonl', mapper: 'label_to_classification', field_map: { text: 'body', label: 'stars' } })).rejects.toThrow(
      /column 'body' is not in the source/,
    );
    expect(new LowConfidenceError(0.5, []).message).toMatch(/no mapper fits/);
  });

  it('commits new rows only, keeps rejected rows with reasons, and a redelivered run re-claims its own rows', async () => {
    const store = new FileArtifactStore(join(dir, 'artifacts'));
    const index = new MemoryIndex();
    const opts = { locator: 'jsonl:reviews.jsonl', mapper_id: 'label_to_classification', field_map: { text: 'review', label: 'stars' }, project_id: 'p' };
    const first = await commitImport({ ...deps, store, index }, { ...opts, import_run_id: 'import-1' });
    expect([first.report.read, first.report.accepted, first.report.rejected, first.rows_duplicate]).toEqual([24, 22, 2, 0]);
    expect(first.report.rejection_counts).toEqual({ parse_error: 1, empty_text: 1 });
    const redo = await commitImport({ ...deps, store, index }, { ...opts, import_run_id: 'import-1' });
    expect(redo.rows_duplicate).toBe(0);
    expect(redo.accepted_ref.uri).toBe(first.accepted_ref.uri);
    const second = await commitImport({ ...deps, store, index }, { ...opts, import_run_id: 'import-2' });
    expect(second.rows_duplicate).toBe(22);
    let written = 0;
    for await (const _ of store.readJsonl(second.accepted_ref)) written += 1;
    expect(written).toBe(0);
    const rejected: Array<{ reason: string }> = [];
    for await (const r of store.readJsonl<{ reason: string }>(second.rejected_ref)) rejected.push(r);
    expect(rejected.map((r) => r.reason).sort()).toEqual(['empty_text', 'parse_error']);
  });

  it('releases a failed run’s claims and discards its partial artifacts', async () => {
    writeFileSync(join(dir, 'big.jsonl'), Array.from({ length: 2_500 }, (_, i) => JSON.stringify({ review: `review ${i} text`, stars: String(i % 5) })).join('\n'));
    const store = new FileArtifactStore(join(dir, 'artifacts-fail'));
    class FailingIndex extends MemoryIndex {
      calls = 0;
      override async claim(p: string, run: string, ids: readonly string[]) {
        this.calls += 1;
        if (this.calls === 2) throw new Error('database went away');
        return super.claim(p, run, ids);
      }
    }
    const index = new FailingIndex();
    await expect(
      commitImport({ ...deps, store, index }, { locator: 'jsonl:big.jsonl', mapper_id: 'label_to_classification', field_map: { text: 'review', label: 'stars' }, project_id: 'p', import_run_id: 'import-9' }),
    ).rejects.toThrow('database went away');
    expect(index.calls).toBe(2);
    expect(index.rows.size).toBe(0); // the first chunk's 1,000 claims were released
  });
});
