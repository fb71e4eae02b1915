/**
 * Every query of every provisioned Grafana dashboard, expanded as Grafana and the ClickHouse plugin
 * expand it, runs against the real warehouse engine loaded with a demo-like week of calls, and
 * returns rows with every column its panel refers to (overrides, display names, transformations,
 * sorting, axes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRows, queryRows, type Warehouse } from '../../runtime/warehouse.js';
import { writeCalls } from '../../sinks/clickhouse/rollup.js';
import { openTestWarehouse } from '../helpers/warehouse.js';
import { demoCalls, demoDeadLetters, WEEK_START } from './demo-data.js';
import { expandQuery } from './grafana-macros.js';

const DIR = 'grafana/dashboards';
const DATASOURCE_UID = 'callhouse-clickhouse';

interface Target {
  refId: string;
  rawSql: string;
  queryType?: string;
  format?: number;
  datasource?: { uid?: string; type?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string; type?: string };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: {
    defaults?: Record<string, unknown>;
    overrides?: { matcher: { id: string; options: unknown }; properties: { id: string; value: unknown }[] }[];
  };
  options?: Record<string, unknown>;
  transformations?: { id: string; options: Record<string, unknown> }[];
}
interface Variable {
  name: string;
  type: string;
  query: string;
  datasource?: { uid?: string };
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const dashboards = files.map((f) => ({ file: f, dash: JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Dashboard }));

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** The column names a panel's configuration depends on. */
function referencedColumns(p: Panel): string[] {
  const cols = new Set<string>();
  const labels = (v: unknown): void => {
    if (typeof v === 'string') for (const m of v.matchAll(/\$\{__field\.labels\.(\w+)\}/g)) cols.add(m[1]!);
  };
  labels(p.fieldConfig?.defaults?.displayName);
  for (const o of p.fieldConfig?.overrides ?? []) {
    if (o.matcher.id === 'byName' && typeof o.matcher.options === 'string') cols.add(o.matcher.options);
    for (const prop of o.properties) if (prop.id === 'displayName') labels(prop.value);
  }
  for (const t of p.transformations ?? []) {
    for (const k of ['rowField', 'columnField', 'valueField', 'field'])
      if (typeof t.options[k] === 'string') cols.add(t.options[k]);
  }
  if (typeof p.options?.xField === 'string') cols.add(p.options.xField);
  for (const s of (p.options?.sortBy as { displayName: string }[] | undefined) ?? []) cols.add(s.displayName);
  return [...cols];
}

const FROM = new Date(WEEK_START - 2 * 86_400_000);
const TO = new Date(WEEK_START + 8 * 86_400_000 - 1000);

let wh: Warehouse & { drop(): Promise<void> };

beforeAll(async () => {
  wh = await openTestWarehouse();
  const { calls, redelivered } = demoCalls();
  // As the sink writes them, so that the kpi_daily rollup counts them.
  await writeCalls(wh, calls, 'deploy-demo-calls');
  await writeCalls(wh, redelivered, 'deploy-demo-calls-again');
  await insertRows(wh, 'dead_letter_log', demoDeadLetters(), 'deploy-demo-dead-letters');
}, 120_000);

afterAll(async () => {
  await wh?.drop();
  await wh?.close();
});

async function run(sql: string, variables: Record<string, string[]>): Promise<Record<string, unknown>[]> {
  const query = expandQuery(sql, { from: FROM, to: TO, intervalSeconds: 3600, variables, database: wh.database });
  return queryRows(wh, query);
}

/** Resolves the variables in order, each to all its values (what "All" selects). */
async function resolveVariables(d: Dashboard): Promise<Record<string, string[]>> {
  const vars: Record<string, string[]> = {};
  for (const v of d.templating.list) {
    expect(v.type, v.name).toBe('query');
    expect(v.datasource?.uid, v.name).toBe(DATASOURCE_UID);
    const rows = await run(v.query, vars);
    vars[v.name] = rows.map((r) => String(Object.values(r)[0]));
    expect(vars[v.name]!.length, `variable ${v.name} has values`).toBeGreaterThan(0);
  }
  return vars;
}

describe('the Grafana dashboards', () => {
  it('are there, parse, and use schema v39 with the provisioned datasource everywhere', () => {
    expect(files).toEqual(expect.arrayContaining(['callhouse-calls.json', 'callhouse-pipeline.json']));
    const uids = new Set<string>();
    for (const { file, dash } of dashboards) {
      expect(dash.schemaVersion, file).toBeGreaterThanOrEqual(39);
      expect(uids.has(dash.uid), `${file}: unique uid`).toBe(false);
      uids.add(dash.uid);
      const ids = new Set<number>();
      for (const p of allPanels(dash.panels)) {
        expect(ids.has(p.id), `${file}: panel id ${p.id} unique`).toBe(false);
        ids.add(p.id);
        if (p.type === 'row') continue;
        expect(p.datasource?.uid, `${file}: ${p.title}`).toBe(DATASOURCE_UID);
        expect(p.targets?.length, `${file}: ${p.title} has a query`).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          expect(t.datasource, `${file}: ${p.title}`).toEqual({
            type: 'grafana-clickhouse-datasource',
            uid: DATASOURCE_UID,
          });
          expect(t.rawSql).toMatch(/\bcallhouse\.\w+/);
          if (p.type === 'timeseries') expect(t.queryType, p.title).toBe('timeSeries');
        }
      }
    }
    const tenant = dashboards.flatMap(({ dash }) => dash.templating.list).find((v) => v.name === 'tenant');
    expect(tenant?.query).toBe('SELECT DISTINCT tenant FROM callhouse.calls ORDER BY tenant');
    expect(dashboards.flatMap(({ dash }) => dash.templating.list).some((v) => v.name === 'connector')).toBe(true);
  });

  it('cover the reporting views and the dead letters', () => {
    const sql = dashboards
      .flatMap(({ dash }) => allPanels(dash.panels).flatMap((p) => (p.targets ?? []).map((t) => t.rawSql)))
      .join('\n');
    for (const rel of [
      'calls_hourly',
      'kpi_daily',
      'queue_daily',
      'extension_daily',
      'trunk_daily',
      'unreturned_missed_calls',
      'cost_monthly',
      'dead_letters',
    ]) {
      expect(sql, rel).toMatch(new RegExp(`\\bcallhouse\\.${rel}\\b`));
    }
  });

  for (const { file, dash } of dashboards) {
    describe(file, () => {
      let vars: Record<string, string[]>;
      beforeAll(async () => {
        vars = await resolveVariables(dash);
      });
      it('resolves its variables from the warehouse', () => {
        expect(vars.tenant).toEqual(['acme', 'globex']);
        if (vars.connector) expect(vars.connector).toEqual(expect.arrayContaining(['acme-hq', 'globex-vc']));
      });
      for (const p of allPanels(dash.panels).filter((x) => x.type !== 'row')) {
        it(`"${p.title}" returns rows with the columns the panel uses`, async () => {
          for (const t of p.targets ?? []) {
            const rows = await run(t.rawSql, vars);
            expect(rows.length, `${p.title}: rows`).toBeGreaterThan(0);
            const columns = Object.keys(rows[0]!);
            for (const c of referencedColumns(p)) expect(columns, `${p.title}: column ${c}`).toContain(c);
            if (p.type === 'timeseries') {
              expect(columns[0], `${p.title}: first column is the time`).toBe('time');
              const numeric = columns.filter(
                (c) => c !== 'time' && rows.every((r) => r[c] === null || !Number.isNaN(Number(r[c]))),
              );
              expect(numeric.length, `${p.title}: has a value column`).toBeGreaterThan(0);
            }
          }
        });
      }
    });
  }

  it('a single tenant narrows the results (the variable reaches the query)', async () => {
    const calls = dashboards.find((d) => d.file === 'callhouse-calls.json')!.dash;
    const volume = allPanels(calls.panels).find((p) => p.title.startsWith('Call volume'))!;
    const rows = await run(volume.targets![0]!.rawSql, { tenant: ['globex'] });
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.tenant))).toEqual(new Set(['globex']));
  });

  it('the KPI figures match the warehouse (duplicates and leg-1 records not counted)', async () => {
    const calls = dashboards.find((d) => d.file === 'callhouse-calls.json')!.dash;
    const stat = allPanels(calls.panels).find((p) => p.title === 'Calls in range')!;
    const [kpi] = await run(stat.targets![0]!.rawSql, { tenant: ['acme', 'globex'] });
    const { calls: generated } = demoCalls();
    const attempts = generated.filter((c) => c.leg !== 1).length;
    expect(Number(kpi!.attempts)).toBe(attempts);
    expect(Number(kpi!.asr)).toBeGreaterThan(0);
    expect(Number(kpi!.asr)).toBeLessThanOrEqual(1);
    const missed = allPanels(calls.panels).find((p) => p.title === 'Unreturned missed calls')!;
    const list = await run(missed.targets![0]!.rawSql, { tenant: ['acme', 'globex'] });
    const unreturned = list.find((r) => r.number === '+442079469999');
    expect(unreturned?.tenant).toBe('acme');
    expect(Number(unreturned?.missed_count)).toBe(3);
    expect(list.find((r) => r.number === '+442079468888')).toBeUndefined();
  });
});
