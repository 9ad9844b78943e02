import type { SourceRow } from '@distillery/contracts';
import type { DatasetFixture } from '@distillery/testing-datasets';

/** A SourceRow as a connector would hand it over (ids are positional here; real ones are content hashes). */
export function sourceRow(fields: Readonly<Record<string, unknown>>, position = 0, extra: Partial<SourceRow> = {}): SourceRow {
  return {
    row_id: `row-${position}`,
    source: { locator: 'jsonl:/data/test.jsonl', resolved: '/data/test.jsonl', position },
    fields,
    ...extra,
  };
}

export function sourceRows(f: DatasetFixture): SourceRow[] {
  return f.rows.map((fields, i) => ({
    row_id: `${f.name}-${i}`,
    source: { locator: `${f.format}:../shared/datasets/${f.source}`, resolved: `../shared/datasets/${f.source}`, position: i },
    fields,
  }));
}

/** A sentinel row: the source could not parse the record. */
export function sentinelRow(position = 0): SourceRow {
  return sourceRow({}, position, { parse_error: 'Unexpected token } in JSON at position 14', raw_text: '{"text": "a",}' });
}
