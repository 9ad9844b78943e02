/**
 * The Grafana dashboards in deploy/helm/distillery/dashboards parse, and every PromQL query in them names series and
 * labels that the instruments of this lib really produce (Prometheus naming: dots → underscores, counters `_total`,
 * histograms `_bucket`/`_sum`/`_count`). Renaming an instrument without the dashboards fails here.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { METRIC_KINDS, METRIC_NAMES, allPrometheusSeriesNames, prometheusSeriesNames } from '../src/index.js';

const chart = resolve(import.meta.dirname, '..', '..', '..', 'deploy', 'helm', 'distillery');
const dir = join(chart, 'dashboards');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

interface Panel {
  title: string;
  targets?: Array<{ expr: string; refId: string }>;
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

const dashboards = files.map((f) => ({ file: f, json: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Dashboard }));
const queries = dashboards.flatMap((d) => d.json.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ file: d.file, panel: p.title, expr: t.expr }))));

/** Label names the instruments set (see METRIC_NAMES docs), plus Prometheus' own. */
const LABELS = new Set(['le', 'job', 'instance', 'service_name', 'reason_code', 'stage', 'producer', 'consumer', 'outcome', 'stream', 'run', 'method', 'metric', 'route', 'status_code']);

describe('Grafana dashboards', () => {
  it('exist, parse, and have unique uids and panels with queries', () => {
    expect(files.sort()).toEqual(['distillery-event-flow.json', 'distillery-pipeline.json', 'distillery-runner.json']);
    expect(new Set(dashboards.map((d) => d.json.uid)).size).toBe(dashboards.length);
    for (const d of dashboards) {
      expect(d.json.panels.length).toBeGreaterThan(0);
      for (const p of d.json.panels) expect([d.file, p.title, (p.targets ?? []).length > 0]).toEqual([d.file, p.title, true]);
    }
  });

  it('query only series the registered instruments produce', () => {
    const known = new Set(allPrometheusSeriesNames());
    const used = queries.flatMap((q) => [...q.expr.matchAll(/\b(distillery_[a-z0-9_]+)\b/g)].map((m) => ({ ...q, series: m[1]! })));
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((u) => !known.has(u.series)).map((u) => `${u.file} / ${u.panel}: ${u.series}`)).toEqual([]);
  });

  it('group and filter only by labels the instruments set', () => {
    const labels = queries.flatMap((q) => [
      ...[...q.expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim())),
      ...[...q.expr.matchAll(/[{,]\s*([a-z_]+)\s*(?:=~|!=|!~|=)/g)].map((m) => m[1]!),
    ].map((label) => ({ ...q, label })));
    expect(labels.filter((l) => !LABELS.has(l.label)).map((l) => `${l.file} / ${l.panel}: ${l.label}`)).toEqual([]);
  });

  it('show every instrument, and cover the views the issue asks for', () => {
    const all = queries.map((q) => q.expr).join('\n');
    const missing = (Object.keys(METRIC_NAMES) as Array<keyof typeof METRIC_NAMES>).filter(
      (k) => !prometheusSeriesNames(METRIC_NAMES[k], METRIC_KINDS[k]).some((s) => all.includes(s)),
    );
    expect(missing).toEqual([]);
    expect(all).toMatch(/reason_code=~"[^"]*event_schema_invalid[^"]*"/); // DLQ
    for (const q of ['0.5', '0.95']) expect(all).toContain(`histogram_quantile(${q}, sum by (le, stage) (rate(distillery_stage_duration_bucket`);
    for (const q of ['0.5', '0.95', '0.99']) expect(all).toContain(`histogram_quantile(${q}, sum by (le) (rate(distillery_runner_request_duration_bucket`);
  });

  it('ship in a ConfigMap with the grafana_dashboard label, next to a ServiceMonitor', () => {
    const cm = readFileSync(join(chart, 'templates', 'dashboards-configmap.yaml'), 'utf8');
    expect(cm).toContain('.Files.Glob "dashboards/*.json"');
    expect(readFileSync(join(chart, 'values.yaml'), 'utf8')).toMatch(/dashboards:\n {2}enabled: true\n {2}labels:\n {4}grafana_dashboard: "1"/);
    const sm = readFileSync(join(chart, 'templates', 'servicemonitor.yaml'), 'utf8');
    expect(sm).toContain('kind: ServiceMonitor');
    expect(sm).toContain('port: metrics');
    expect(readFileSync(join(chart, 'templates', 'deployment.yaml'), 'utf8')).toContain('name: PROMETHEUS_PORT');
  });
});
