/** The real datasets of ../shared/datasets the data path is measured on: a locator each and the mapper that fits. */
export const DATASETS: ReadonlyArray<{ name: string; locator: string; expected: string }> = [
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
