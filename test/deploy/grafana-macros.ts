/**
 * Expands a dashboard query the way Grafana and the ClickHouse plugin (grafana-clickhouse-datasource,
 * pkg/macros/macros.go) do, for exactly the macros and variable formats our dashboards use. Anything
 * else throws, so a dashboard cannot start using a macro that these tests do not exercise.
 */
export interface ExpandContext {
  from: Date;
  to: Date;
  /** The panel's interval ($__interval) in seconds. */
  intervalSeconds: number;
  /** Variable name -> the values selected (all of them for "All"). */
  variables: Record<string, string[]>;
  /** Replaces the `callhouse` database name in `callhouse.<relation>`. */
  database: string;
}

const unix = (d: Date): number => Math.floor(d.getTime() / 1000);
const isoDate = (d: Date): string => d.toISOString().slice(0, 10);

/** Grafana's `singlequote` format: each value quoted, `'` escaped with a backslash, comma-joined. */
export function singleQuote(values: string[]): string {
  return values.map((v) => `'${v.replaceAll("'", "\\'")}'`).join(',');
}

export function expandQuery(sql: string, ctx: ExpandContext): string {
  let out = sql.replace(/\$\{(\w+)(?::(\w+))?\}/g, (_m, name: string, format: string | undefined) => {
    const values = ctx.variables[name];
    if (!values) throw new Error(`unknown variable \${${name}}`);
    if (format !== 'singlequote') throw new Error(`variable \${${name}} without the :singlequote format`);
    return singleQuote(values);
  });
  out = out.replace(/\$__(\w+)(?:\(([^()]*)\))?/g, (_m, macro: string, args: string | undefined) => {
    const from = `toDateTime(${unix(ctx.from)})`;
    const to = `toDateTime(${unix(ctx.to)})`;
    const one = (): string => {
      const a = (args ?? '').split(',').map((s) => s.trim());
      if (args === undefined || a.length !== 1 || a[0] === '') throw new Error(`$__${macro} expects one argument`);
      return a[0]!;
    };
    switch (macro) {
      case 'fromTime':
        if (args !== undefined) throw new Error('$__fromTime takes no arguments');
        return from;
      case 'toTime':
        if (args !== undefined) throw new Error('$__toTime takes no arguments');
        return to;
      case 'timeFilter': {
        const c = one();
        return `${c} >= ${from} AND ${c} <= ${to}`;
      }
      case 'dateFilter': {
        const c = one();
        return `${c} >= toDate('${isoDate(ctx.from)}') AND ${c} <= toDate('${isoDate(ctx.to)}')`;
      }
      case 'timeInterval':
        return `toStartOfInterval(toDateTime(${one()}), INTERVAL ${Math.max(1, Math.floor(ctx.intervalSeconds))} second)`;
      default:
        throw new Error(`macro $__${macro} is not supported by the test expander`);
    }
  });
  out = out.replace(/\bcallhouse\./g, `${ctx.database}.`);
  if (out.includes('$')) throw new Error(`unexpanded $ left in query: ${out}`);
  return out;
}
