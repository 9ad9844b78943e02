// Measures the data path on a folder of real datasets (default ../shared/datasets): for each one, introspection's
// top mapper and confidence, then a dry run over every row (read = accepted + rejected, rejections by reason).
// Usage: node dist/tools/datasets-check.js [datasets-dir] [--json]
import { resolve } from 'node:path';
import { chooseMapping, dryRunSource, importerFromConfig, introspectSource } from '@distillery/importer';
import { DATASETS } from './datasets-list.js';

const dir = resolve(process.argv.find((a, i) => i > 1 && !a.startsWith('--')) ?? '../shared/datasets');
const json = process.argv.includes('--json');


const deps = await importerFromConfig({
  DISTILLERY_DATA_ROOTS: dir,
  DISTILLERY_DATA_DIR: resolve('.distillery'),
  HF_ENDPOINT: 'https://huggingface.co',
  KAGGLE_API_URL: 'https://www.kaggle.com',
});

const results = [];
for (const d of DATASETS) {
  const started = Date.now();
  try {
    const { introspection } = await introspectSource(deps, d.locator);
    const top = introspection.proposed;
    const choice = await chooseMapping(deps, { locator: d.locator, auto: true, force: true });
    const report = await dryRunSource(deps, { locator: d.locator, mapper_id: choice.mapper_id, field_map: choice.field_map, sampleSize: 0 });
    results.push({
      dataset: d.name,
      expected: d.expected,
      top: top?.mapper_id ?? null,
      confidence: top?.confidence ?? 0,
      right: top?.mapper_id === d.expected && (top?.confidence ?? 0) >= 0.8,
      runner_up: introspection.hypotheses[1] ? `${introspection.hypotheses[1].mapper_id} ${introspection.hypotheses[1].confidence.toFixed(2)}` : '—',
      read: report.read,
      accepted: report.accepted,
      rejected: report.rejected,
      adds_up: report.accepted + report.rejected === report.read,
      rejections: report.rejection_counts,
      ms: Date.now() - started,
    });
  } catch (err) {
    results.push({ dataset: d.name, expected: d.expected, error: (err as Error).message });
  }
}

if (json) console.log(JSON.stringify(results, null, 2));
else {
  console.log('| dataset | expected | top mapper | confidence | ≥0.80 & right | runner-up | read | accepted | rejected (by reason) | adds up |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    if ('error' in r) console.log(`| ${r.dataset} | ${r.expected} | ERROR: ${r.error} |`);
    else {
      const rej = Object.entries(r.rejections).map(([k, v]) => `${k} ${v}`).join(', ') || '—';
      console.log(`| ${r.dataset} | ${r.expected} | ${r.top} | ${r.confidence.toFixed(3)} | ${r.right ? 'yes' : 'NO'} | ${r.runner_up} | ${r.read} | ${r.accepted} | ${r.rejected} (${rej}) | ${r.adds_up ? 'yes' : 'NO'} |`);
    }
  }
}
