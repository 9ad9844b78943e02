import { describe, expect, it } from '@jest/globals';
import { MAPPER_RULES, PROPOSABLE_MAPPER_IDS, introspect, proposableRoles } from '@distillery/introspect';
import { checkFieldMap, createMapperRegistry, dryRun } from '../src/index.js';
import type { SourceRow } from '@distillery/contracts';
import { ALL_FIXTURES, type DatasetFixture } from '@distillery/testing-datasets';

/**
 * Introspection names mappers by string id and does not import the mappers lib; the two are checked against each
 * other here (both are scope:data, so a mappers test may import introspect).
 */
const registry = createMapperRegistry();

function sourceRows(f: DatasetFixture): SourceRow[] {
  return f.rows.map((fields, i) => ({
    row_id: `${f.name}-${i}`,
    source: { locator: `${f.format}:${f.source}`, resolved: f.source, position: i },
    fields,
  }));
}

describe('introspection ↔ mapper registry', () => {
  it('proposes only mapper ids that exist in the registry', () => {
    expect(PROPOSABLE_MAPPER_IDS.length).toBeGreaterThan(0);
    for (const id of PROPOSABLE_MAPPER_IDS) expect(registry.ids()).toContain(id);
  });

  it('fills exactly the roles each mapper declares, with the same required flags', () => {
    for (const id of PROPOSABLE_MAPPER_IDS) {
      const mapper = registry.get(id);
      expect(mapper?.roles.map((r) => ({ name: r.name, required: r.required }))).toEqual(proposableRoles(id));
    }
  });

  it('agrees on task profiles', () => {
    for (const rule of MAPPER_RULES) expect(registry.get(rule.mapper_id)?.task_profile).toBe(rule.task_profile);
  });

  it('agrees on the structured_extraction flavour (span_set / field_match)', () => {
    for (const rule of MAPPER_RULES.filter((r) => r.variant)) {
      expect(registry.get(rule.mapper_id)?.output_schema.scoring_mode).toBe(rule.variant);
    }
  });
});

describe('end to end on real rows: introspect → proposed field map → dry run', () => {
  it.each(ALL_FIXTURES.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const result = introspect({ columns: f.columns, rows: f.rows, format: f.format });
    const h = result.proposed;
    expect(h).not.toBeNull();
    if (!h) return;
    const mapper = registry.get(h.mapper_id);
    expect(mapper?.id).toBe(h.mapper_id);
    if (!mapper) return;
    expect(checkFieldMap(mapper, h.field_map)).toEqual([]);
    const report = dryRun(sourceRows(f), mapper, h.field_map);
    expect(report.accepted + report.rejected).toBe(f.rows.length);
    // every rejection on these clean samples is a blank line of plain text, nothing else
    expect(Object.keys(report.rejection_counts).filter((r) => r !== 'empty_text')).toEqual([]);
    expect(report.accepted).toBeGreaterThanOrEqual(f.rows.length * 0.5);
  });
});
