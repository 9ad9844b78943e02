import { describe, expect, it } from '@jest/globals';
import { introspect } from '../src/index.js';

// Shapes produced by libs/sources for real files: conll: keeps the `# text` comment as `text`; json: with
// records=data[].paragraphs[].qas[] carries the root's `version` into every SQuAD record.
describe('columns that add nothing do not count against a mapper', () => {
  it('a text column that restates the tokens (CoNLL `# text`) does not hold bio_to_spans below 0.80', () => {
    const sentences = [
      ['where', 'can', 'I', 'get', 'morcillas', 'in', 'tampa', 'bay', '?'],
      ['Google', 'is', 'a', 'nice', 'search', 'engine', '.'],
      ['I', 'flew', 'to', 'Paris', 'with', 'Air', 'France', 'yesterday', '.'],
      ['The', 'Louvre', 'was', 'closed', 'on', 'Monday', '.'],
    ];
    const tags = [
      ['O', 'O', 'O', 'O', 'O', 'O', 'B-LOC', 'I-LOC', 'O'],
      ['B-ORG', 'O', 'O', 'O', 'O', 'O', 'O'],
      ['O', 'O', 'O', 'B-LOC', 'O', 'B-ORG', 'I-ORG', 'O', 'O'],
      ['O', 'B-LOC', 'O', 'O', 'O', 'O', 'O'],
    ];
    const rows = Array.from({ length: 20 }, (_, i) => {
      const t = sentences[i % 4]!;
      return { tokens: t, tags: tags[i % 4]!, text: t.join(' ').replace(/ ([?.,])/g, '$1'), sent_id: `weblog-${i}` };
    });
    const r = introspect({ columns: ['tokens', 'tags', 'text', 'sent_id'], rows });
    expect(r.proposed?.mapper_id).toBe('bio_to_spans');
    expect(r.proposed!.confidence).toBeGreaterThanOrEqual(0.8);
    // A text column with other content is still a dropped column and still costs confidence.
    const other = introspect({ columns: ['tokens', 'tags', 'text'], rows: rows.map((x, i) => ({ ...x, text: `an unrelated review number ${i} about a hotel stay` })) });
    expect(other.proposed!.confidence).toBeLessThan(r.proposed!.confidence);
  });

  it('a dataset `version` on every record does not hold rag_passthrough below 0.80', () => {
    const context = 'The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France.';
    const qs = [
      ['In what country is Normandy located?', 'France'],
      ['When were the Normans in Normandy?', '10th and 11th centuries'],
      ['What gave its name to Normandy?', 'The Normans'],
    ];
    const rows = Array.from({ length: 15 }, (_, i) => ({
      version: 'v2.0',
      title: 'Normans',
      context,
      question: qs[i % 3]![0],
      id: `56ddde6b9a695914005b96${String(i).padStart(2, '0')}`,
      answers: [{ text: qs[i % 3]![1], answer_start: context.indexOf(qs[i % 3]![1]!) }],
      is_impossible: false,
    }));
    const r = introspect({ columns: Object.keys(rows[0]!), rows });
    expect(r.proposed?.mapper_id).toBe('rag_passthrough');
    expect(r.proposed!.confidence).toBeGreaterThanOrEqual(0.8);
  });
});
