import { describe, expect, it } from '@jest/globals';
import { MAPPER_RULES, PROPOSABLE_MAPPER_IDS, isGenericName, isMetadataName, nameCue, normalizeName, proposableRoles } from '../src/index.js';

describe('name cues', () => {
  it('normalizes names to lower-case words joined by _', () => {
    expect(normalizeName('reviewText')).toBe('review_text');
    expect(normalizeName('  NER Tags ')).toBe('ner_tags');
    expect(normalizeName('Why did you choose?')).toBe('why_did_you_choose');
  });

  it('scores exact cues 1, cue words 0.7, generic names 0.5 (neutral), other names 0', () => {
    expect(nameCue('label', ['label'])).toBe(1);
    expect(nameCue('review_label', ['label'])).toBe(0.7);
    expect(nameCue('column_2', ['label'])).toBe(0.5);
    expect(nameCue('price', ['label'])).toBe(0);
  });

  it('knows the names readers invent for unnamed columns', () => {
    for (const n of ['column_1', 'column_3_2', 'col3', '', '  ', 'Unnamed: 2', 'v4', '_1', '7']) expect(isGenericName(n)).toBe(true);
    for (const n of ['text', 'label', 'v1x', 'answers']) expect(isGenericName(n)).toBe(false);
  });

  it('knows bookkeeping names', () => {
    for (const n of ['id', 'source_line', 'file_name', 'message_tree_id', 'title']) expect(isMetadataName(n)).toBe(true);
    expect(isMetadataName('text')).toBe(false);
  });
});

describe('the rule table', () => {
  it('proposes exactly the eight built-in mapper ids', () => {
    expect([...PROPOSABLE_MAPPER_IDS].sort()).toEqual(
      [
        'bio_to_spans',
        'chat_messages_passthrough',
        'kv_to_structured',
        'label_to_classification',
        'preference_pair',
        'qa_pair_passthrough',
        'rag_passthrough',
        'text_only',
      ].sort(),
    );
  });

  it('has unique role names per mapper and at least one required role', () => {
    for (const rule of MAPPER_RULES) {
      const names = rule.roles.map((r) => r.name);
      expect(new Set(names).size).toBe(names.length);
      expect(rule.roles.some((r) => r.required)).toBe(true);
      expect(rule.prior).toBeGreaterThan(0);
      expect(rule.prior).toBeLessThanOrEqual(1);
    }
  });

  it('lists the roles it fills per mapper id', () => {
    expect(proposableRoles('preference_pair')).toEqual([
      { name: 'prompt', required: false },
      { name: 'chosen', required: true },
      { name: 'rejected', required: true },
    ]);
    expect(proposableRoles('no_such_mapper')).toEqual([]);
  });
});
