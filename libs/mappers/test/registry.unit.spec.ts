import { describe, expect, it } from '@jest/globals';
import type { SourceRow } from '@distillery/contracts';
import {
  BUILTIN_MAPPER_IDS,
  MapperContractError,
  accept,
  checkFieldMap,
  createMapperRegistry,
  dryRun,
  mapperContractProblems,
  reject,
  type Mapper,
} from '../src/index.js';
import { sentinelRow, sourceRow } from './rows.js';

/** A well-formed plugin: seq2seq pairs. */
const seq2seq: Mapper = {
  id: 'source_target',
  task_profile: 'seq2seq',
  output_schema: { fields: { source: 'string', target: 'string' }, scoring_mode: 'rouge_l' },
  roles: [
    { name: 'source', required: true, description: 'input' },
    { name: 'target', required: true, description: 'output' },
  ],
  map(row, fm) {
    const source = row.fields[fm['source'] ?? ''];
    const target = row.fields[fm['target'] ?? ''];
    if (typeof source !== 'string' || typeof target !== 'string') return reject(row, 'invalid_type', 'strings expected');
    return accept(row, 'seq2seq', { source, target });
  },
};

function contractError(fn: () => unknown): MapperContractError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MapperContractError) return e;
    throw e;
  }
  throw new Error('expected a MapperContractError');
}

describe('MapperRegistry', () => {
  it('starts with the eight built-ins', () => {
    const reg = createMapperRegistry();
    expect(reg.ids()).toEqual([
      'bio_to_spans',
      'label_to_classification',
      'text_only',
      'qa_pair_passthrough',
      'chat_messages_passthrough',
      'preference_pair',
      'rag_passthrough',
      'kv_to_structured',
    ]);
    expect(BUILTIN_MAPPER_IDS).toEqual(reg.ids());
    expect(reg.get('nope')).toBeUndefined();
    expect(reg.has('text_only')).toBe(true);
  });

  it('registers a valid plugin and maps with it', () => {
    const reg = createMapperRegistry();
    const m = reg.registerMapper('source_target', () => seq2seq);
    expect(reg.ids().at(-1)).toBe('source_target');
    const r = m.map(sourceRow({ en: 'cat', de: 'Katze' }), { source: 'en', target: 'de' });
    expect(r.ok && r.row.record).toEqual({ source: 'cat', target: 'Katze' });
    expect(reg.get('source_target')?.task_profile).toBe('seq2seq');
  });

  it('accepts a plugin written as a class (map on the prototype)', () => {
    class Upper {
      readonly id = 'upper_text';
      readonly task_profile = 'language_modeling' as const;
      readonly output_schema = { fields: { text: 'string' }, scoring_mode: 'perplexity' };
      readonly roles = [{ name: 'text', required: true, description: 'text' }];
      map(row: SourceRow) {
        return accept(row, 'language_modeling', { text: String(row.fields['t']).toUpperCase() });
      }
    }
    const m = createMapperRegistry().registerMapper('upper_text', () => new Upper());
    const r = m.map(sourceRow({ t: 'abc' }), { text: 't' });
    expect(r.ok && r.row.record).toEqual({ text: 'ABC' });
  });

  it('keeps one plugin per registry (no global state)', () => {
    const a = createMapperRegistry();
    a.registerMapper('source_target', () => seq2seq);
    expect(createMapperRegistry().has('source_target')).toBe(false);
  });
});

describe('plugin contract', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['a non-object', 42, /did not return an object/],
    ['an id that differs', { ...seq2seq, id: 'other' }, /differs from the registered id/],
    ['an unknown task profile', { ...seq2seq, task_profile: 'summarisation' }, /task_profile "summarisation" is not one of/],
    ['no roles', { ...seq2seq, roles: [] }, /roles must be a non-empty array/],
    ['a role without a name', { ...seq2seq, roles: [{ required: true }] }, /roles\[0\]\.name/],
    ['duplicate role names', { ...seq2seq, roles: [{ name: 'x', required: true }, { name: 'x', required: false }] }, /duplicate/],
    ['required not boolean', { ...seq2seq, roles: [{ name: 'x', required: 'yes' }] }, /roles\[0\]\.required/],
    ['no map function', { ...seq2seq, map: 'map' }, /map must be a function/],
    ['no output schema', { ...seq2seq, output_schema: undefined }, /output_schema must be an object/],
    ['no scoring mode', { ...seq2seq, output_schema: { fields: {}, scoring_mode: '' } }, /scoring_mode/],
  ];

  it.each(bad)('rejects %s with extension_contract_invalid', (_what, product, problem) => {
    const reg = createMapperRegistry();
    const before = reg.ids();
    const e = contractError(() => reg.registerMapper('source_target', () => product));
    expect(e.reason_code).toBe('extension_contract_invalid');
    expect(e.mapper_id).toBe('source_target');
    expect(e.problems.join('; ')).toMatch(problem);
    expect(reg.ids()).toEqual(before);
  });

  it('rejects a taken id, a bad id, a factory that throws and a factory that is not a function', () => {
    const reg = createMapperRegistry();
    expect(contractError(() => reg.registerMapper('text_only', () => ({ ...seq2seq, id: 'text_only' }))).problems).toEqual([
      "a mapper with id 'text_only' is already registered",
    ]);
    expect(contractError(() => reg.registerMapper('Bad Id', () => ({ ...seq2seq, id: 'Bad Id' }))).problems.join()).toMatch(/lower-case/);
    expect(contractError(() => reg.registerMapper('boom', () => { throw new Error('no config'); })).problems).toEqual(['the factory threw: no config']);
    expect(contractError(() => reg.registerMapper('x', 'nope' as unknown as () => unknown)).problems).toEqual(['the factory is not a function']);
  });

  it('lists every problem at once', () => {
    expect(mapperContractProblems('m', { id: 'm' })).toHaveLength(4);
    expect(mapperContractProblems('source_target', seq2seq)).toEqual([]);
  });
});

describe('guarded plugins keep per-row accountability', () => {
  const throwing: Mapper = { ...seq2seq, id: 'throws', map: () => { throw new Error('kaboom'); } };
  const garbage: Mapper = { ...seq2seq, id: 'garbage', map: () => ({ yes: true }) as never };
  const wrongRow: Mapper = { ...seq2seq, id: 'wrong_row', map: (row) => accept({ ...row, row_id: 'other' }, 'seq2seq', {}) };

  it('turns a throw into mapper_error', () => {
    const m = createMapperRegistry().registerMapper('throws', () => throwing);
    const r = m.map(sourceRow({}), {});
    expect(!r.ok && [r.row.reason, r.row.detail]).toEqual(['mapper_error', "mapper 'throws' threw: kaboom"]);
  });

  it('turns a result that is not a MappedRow for the row into mapper_error', () => {
    const reg = createMapperRegistry();
    for (const [id, m] of [['garbage', garbage], ['wrong_row', wrongRow]] as const) {
      const r = reg.registerMapper(id, () => m).map(sourceRow({}), {});
      expect(!r.ok && r.row.reason).toBe('mapper_error');
    }
  });

  it('rejects sentinel rows before the plugin runs', () => {
    const m = createMapperRegistry().registerMapper('throws', () => throwing);
    const r = m.map(sentinelRow(), {});
    expect(!r.ok && r.row.reason).toBe('parse_error');
  });

  it('counts a misbehaving mapper in a dry run without losing rows, even unregistered', () => {
    const rows = Array.from({ length: 5 }, (_, i) => sourceRow({ en: 'a', de: 'b' }, i));
    const report = dryRun(rows, throwing, { source: 'en', target: 'de' });
    expect([report.read, report.accepted, report.rejected]).toEqual([5, 0, 5]);
    expect(report.rejection_counts).toEqual({ mapper_error: 5 });
  });
});

describe('checkFieldMap', () => {
  it('names unmapped required roles and unknown roles', () => {
    const reg = createMapperRegistry();
    const rag = reg.get('rag_passthrough') as Mapper;
    expect(checkFieldMap(rag, { question: 'q', context: 'c', answer: 'a' })).toEqual([]);
    expect(checkFieldMap(rag, { question: 'q', answers: 'a' })).toEqual([
      "required role 'context' has no column",
      "required role 'answer' has no column",
      "'answers' is not a role of rag_passthrough",
    ]);
  });
});
