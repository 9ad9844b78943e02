// Measures the data path on a folder of real datasets (default ../shared/datasets): for each one, introspection's
// top mapper and confidence, then a dry run over every row (read = accepted + rejected, rejections by reason).
// Usage: node dist/tools/datasets-check.js [datasets-dir] [--json]
import { resolve } from 'node:path';
import { chooseMapping, dryRunSource, importerFromConfig, introspectSource } from '@distillery/importer';

const dir = resolve(process.argv.find((a, i) => i > 1 && !a.startsWith('--')) ?? '../shared/datasets');
const json = process.argv.includes('--json');

const DATASETS: Array<{ name: string; locator: string; expected: string }> = [
  { name: 'sentiment/imdb', locator: 'tsv:sentiment/uci-sentiment-labelled-sentences/imdb_labelled.txt?header=false', expected: 'label_to_classification' },
  { name: 'sentiment/amazon', locator: 'tsv:sentiment/uci-sentiment-labelled-sentences/amazon_cells_labelled.txt?header=false', expected: 'label_to_classification' },
  { name: 'sentiment/yelp', locator: 'tsv:sentiment/uci-sentiment-labelled-sentences/yelp_labelled.txt?header=false', expected: 'label_to_classification' },
  { name: 'multiclass/banking77', locator: 'csv:multiclass/banking77/test.csv', expected: 'label_to_classification' },
  { name: 'ner/wnut17', locator: 'conll:ner/wnut17/wnut17train.conll', expected: 'bio_to_spans' },
  { name: 'ner/uner-english-ewt', locator: 'conll:ner/uner-english-ewt/en_ewt-ud-dev.iob2', expected: 'bio_to_spans' },
  { name: 'qa-pairs/nq-open', locator: 'jsonl:qa-pairs/nq-open/NQ-open.dev.jsonl', expected: 'qa_pair_passthrough' },
  { name: 'chat/oasst1 messages', locator: 'jsonl:chat/oasst1-en-100/oasst_en_100_messages.jsonl', expected: 'chat_messages_passthrough' },
  { name: 'preference/hh-rlhf derived', locator: 'jsonl:preference/hh-rlhf-helpful-base/test_prompt_chosen_rejected.jsonl', expected: 'preference_pair' },
  { name: 'preference/hh-rlhf original (gz)', locator: 'jsonl:preference/hh-rlhf-helpful-base/test.jsonl.gz', expected: 'preference_pair' },
  { name: 'grounded-qa/squad-v2', locator: 'json:grounded-qa/squad-v2.0-dev-first5/squad-v2.0-dev-first5-articles.json?records=data[].paragraphs[].qas[]', expected: 'rag_passthrough' },
  { name: 'kv-extraction/sroie', locator: 'jsonl:kv-extraction/sroie/train/metadata.jsonl', expected: 'kv_to_structured' },
  { name: 'plain-text/gutenberg-alice', locator: 'text:plain-text/gutenberg-alice/pg11.txt?unit=paragraph', expected: 'text_only' },
  { name: 'plain-text/wikitext-2', locator: 'text:plain-text/wikitext-2/valid.txt?unit=paragraph', expected: 'text_only' },
  { name: 'messy-csv/sms-spam', locator: 'csv:messy-csv/sms-spam-kaggle/spam.csv', expected: 'label_to_classification' },
];

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
