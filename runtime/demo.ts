/**
 * `callhouse demo` / `npm run demo`: the whole pipeline on embedded defaults. Simulators of the
 * four vendors serve a varied day of calls for several tenants; callhouse pulls and receives it
 * through the local Kafka broker into the embedded warehouse, shows progress, then prints a KPI
 * summary from the warehouse. The data stays in $CALLHOUSE_DATA_DIR (default ./var).
 */
import { DateTime } from 'luxon';
import { validateConfig } from './config.js';
import { freePort } from './kafka-local.js';
import { createLogger } from './logging.js';
import { startService, warehouseOptions, type Service } from './service.js';
import { formatRows } from './cli/output.js';
import { readOnlyQuery } from './sql.js';
import { analystClient, type Warehouse } from './warehouse.js';
import { startSimulator as startYeastarS } from '../simulators/yeastar-s/index.js';
import { startSimulator as startIpcortex } from '../simulators/ipcortex/index.js';
import { startSimulator as startYeastarP } from '../simulators/yeastar-p/index.js';
import { startSimulator as startVoicenter } from '../simulators/voicenter/index.js';

const TOKEN = 'demo-ingest-token';

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`--duration: expected e.g. 60s, 2m or 500ms, got ${JSON.stringify(s)}`);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}

async function portOr(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => void freePort().then(resolve));
    srv.listen(preferred, '127.0.0.1', () => srv.close(() => resolve(preferred)));
  });
}

export const KPI_SUMMARY_SQL = `SELECT tenant, source,
  sum(k.attempts) AS calls, sum(k.answered) AS answered_calls,
  round(sum(k.answered) / greatest(sum(k.attempts), 1), 3) AS asr,
  round(sum(k.acd_seconds * k.answered) / greatest(sum(k.answered), 1), 1) AS acd,
  sum(k.talk_seconds) AS talk
FROM kpi_daily AS k GROUP BY tenant, source ORDER BY tenant, source`;

export async function runDemo(opts: { duration: string }): Promise<void> {
  const durationMs = parseDuration(opts.duration);
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const tty = process.stdout.isTTY;

  out('callhouse demo: starting simulators of four vendors…');
  const yeastarS = await startYeastarS({ seed: 7 });
  const ipcortex = await startIpcortex({
    seed: 11,
    timezone: 'Europe/London',
    callsPerDay: 120,
    apiKeys: ['demo-ipcortex-key-1'],
  });
  const voicenter = await startVoicenter({
    seed: 5,
    callsPerDay: 250,
    code: 'demo-voicenter-code',
    maxReturn: 200,
    requestsPerMinute: 1000,
  });
  const yeastarP = await startYeastarP({
    seed: 3,
    clientId: 'demo-client',
    clientSecret: 'demo-secret',
    displayFormat: 'DD/MM/YYYY',
    clock: '12',
    timezone: 'Asia/Shanghai',
  });
  const sims = [yeastarS, ipcortex, voicenter, yeastarP];

  const env = {
    ...process.env,
    CALLHOUSE_HTTP_PORT: process.env.CALLHOUSE_HTTP_PORT ?? String(await portOr(8080)),
    CALLHOUSE_ADMIN_PORT: process.env.CALLHOUSE_ADMIN_PORT ?? String(await portOr(8081)),
  };
  const config = validateConfig(
    {
      sink: { batch_ms: 200 },
      connectors: [
        { id: 'london-pbx', type: 'yeastar-s', tenant: 'acme', timezone: 'Europe/London', country: 'GB', token: TOKEN },
        {
          id: 'uk-pabx',
          type: 'ipcortex',
          tenant: 'brightdesk',
          timezone: 'Europe/London',
          country: 'GB',
          base_url: ipcortex.url,
          key: 'demo-ipcortex-key-1',
          lookback_days: 1,
        },
        {
          id: 'tel-aviv',
          type: 'voicenter',
          tenant: 'shalom',
          timezone: 'Asia/Jerusalem',
          country: 'IL',
          base_url: voicenter.url,
          code: 'demo-voicenter-code',
          token: TOKEN,
          min_spacing_ms: 50,
        },
        {
          id: 'shanghai-p570',
          type: 'yeastar-p',
          tenant: 'lotus',
          timezone: 'Asia/Shanghai',
          country: 'CN',
          token: TOKEN,
          base_url: yeastarP.url,
          client_id: 'demo-client',
          client_secret: 'demo-secret',
          display_format: 'DD/MM/YYYY',
          clock: '12',
          reports: [{ type: 'extcallstatistics', ext_id_list: [1, 2, 3], granularity: 'day' }],
        },
      ],
    },
    env,
  );
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  out(`callhouse demo: starting the pipeline (data in ${config.env.dataDir})…`);
  let service: Service | undefined;
  let stopping = false;
  const cleanup = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await service?.stop().catch(() => undefined);
    for (const s of sims) await s.close().catch(() => undefined);
  };
  const onSignal = (): void => {
    out('\ncallhouse demo: interrupted, cleaning up…');
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    service = await startService(config, 'all', logger);
    const wh = service.warehouse!;
    out(`callhouse demo: ingest ${service.ingestUrl}, admin ${service.adminUrl}`);

    const started = Date.now();
    const ingest = service.ingestUrl!;
    // Pushed traffic while the pollers read: a day of PBX reports in rounds, CDR notifications.
    const yesterday = DateTime.utc().minus({ days: 1 }).startOf('day');
    let round = 0;
    const pushers = (async () => {
      await voicenter
        .notify({ target: `${ingest}/ingest/voicenter/tel-aviv?token=${TOKEN}`, count: 40, format: 'json' })
        .catch((e: Error) => logger.warn(e.message));
      // At least one round of PBX reports, however short the duration.
      do {
        await yeastarS.playFlows({
          target: `${ingest}/ingest/yeastar-s/london-pbx?token=${TOKEN}`,
          count: 40,
          seed: 100 + round,
          shape: 'mixed',
          resendRate: 0.05,
          timezone: 'Europe/London',
          startEpoch: Math.floor(yesterday.plus({ hours: 7 + ((round * 2) % 12) }).toSeconds()),
        });
        round += 1;
        await new Promise((r) => setTimeout(r, 500));
      } while (Date.now() - started < durationMs && !stopping);
    })();

    const show = async (final = false): Promise<void> => {
      const s = service!.status.all();
      const rows = Number((await rowCount(wh, 'calls')) ?? 0);
      const reports = Number((await rowCount(wh, 'report_rows')) ?? 0);
      const dead = Number((await rowCount(wh, 'dead_letters')) ?? 0);
      const lag = Object.values(
        await service!.bus
          .lag(service!.topics.groups.transform, Object.keys(s).length ? s.map((c) => service!.topics.raw(c.type)) : [])
          .catch(() => ({})),
      ).reduce((a, b) => a + b, 0);
      const per = s
        .map((c) => `${c.id} ${c.received}${c.state === 'stopped' || c.state === 'error' ? ` (${c.state})` : ''}`)
        .join(' | ');
      const line = `[${Math.round((Date.now() - started) / 1000)}s] received: ${per} || calls ${rows}, report rows ${reports}, dead letters ${dead}, lag ${lag}`;
      if (tty && !final) process.stdout.write(`\r${line.slice(0, (process.stdout.columns ?? 200) - 1)}\x1b[K`);
      else out(line);
    };
    const ticker = setInterval(() => void show().catch(() => undefined), 1000);
    await pushers;
    // Let the pipeline drain: until the transform and sink have nothing left and the pollers are idle.
    const drainUntil = Date.now() + 60_000;
    while (Date.now() < drainUntil) {
      const busy = service.status.all().some((c) => c.state === 'running');
      const lagT = Object.values(
        await service.bus.lag(
          service!.topics.groups.transform,
          service.status.all().map((c) => service!.topics.raw(c.type)),
        ),
      ).reduce((a, b) => a + b, 0);
      const lagS = Object.values(
        await service.bus.lag(service.topics.groups.sink, [
          service.topics.calls,
          service.topics.callEvents,
          service.topics.reportRows,
        ]),
      ).reduce((a, b) => a + b, 0);
      if (!busy && lagT === 0 && lagS === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(ticker);
    if (tty) process.stdout.write('\n');
    await show(true);

    const client = await analystClient(wh, warehouseOptions(config));
    const kpi = await readOnlyQuery(client, KPI_SUMMARY_SQL);
    out('\nKPI summary (from the kpi_daily view):');
    out(formatRows(kpi.columns, kpi.rows, 'table'));
    for (const c of service.status.all().filter((x) => x.last_error)) out(`note: ${c.id} ${c.state}: ${c.last_error}`);
    out(`\nThe data stays in ${config.env.dataDir}. Query it, for example:`);
    out(
      `  npx callhouse sql "SELECT tenant, source, sum(attempts) AS calls, sum(answered) AS answered_calls FROM kpi_daily GROUP BY tenant, source ORDER BY tenant, source"`,
    );
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanup();
  }
}

async function rowCount(wh: Warehouse, relation: string): Promise<number | string | undefined> {
  const final = relation === 'dead_letters' ? '' : ' FINAL';
  const rs = await wh.client.query({
    query: `SELECT count() AS n FROM ${wh.database}.${relation}${final}`,
    format: 'JSONEachRow',
  });
  return ((await rs.json()) as { n: number | string }[])[0]?.n;
}
