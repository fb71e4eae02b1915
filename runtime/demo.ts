/**
 * `callhouse demo` / `npm run demo`: the whole pipeline on embedded defaults. Simulators of the
 * five vendors serve and send a varied day of calls for five tenants; callhouse pulls and
 * receives them through Kafka into the warehouse, shows progress, then prints a KPI summary and
 * example queries. The screen shows only the demo's own lines: every log line (callhouse's own,
 * the Kafka client's) goes to demo.log in the data directory, which stays for `callhouse sql`.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { validateConfig } from './config.js';
import { freePort } from './kafka-local.js';
import { createLogger } from './logging.js';
import { routeProcessWarnings } from './warnings.js';
import { startService, warehouseOptions, type Service } from './service.js';
import { formatRows } from './cli/output.js';
import { readOnlyQuery } from './sql.js';
import { analystClient, type Warehouse } from './warehouse.js';
import { postCallEvents } from '../simulators/yeastar-p/events.js';
import { DEMO_TOKEN, demoConfig, startSimulators } from './demo/setup.js';
import { demoProgress, type DemoSnapshot } from './demo/progress.js';
import { EXAMPLE_QUERIES, KPI_SUMMARY_SQL, printedQuery } from './demo/queries.js';

export { KPI_SUMMARY_SQL, EXAMPLE_QUERIES };

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

const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDemo(opts: { duration: string }): Promise<void> {
  const durationMs = parseDuration(opts.duration);
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const dataDir = resolve(process.env.CALLHOUSE_DATA_DIR || './var');
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dataDir, 'demo.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info', logStream);
  routeProcessWarnings(logger);

  out('callhouse demo: starting simulators of five vendors (Yeastar S, IPCortex, Yeastar P, Voicenter, Asterisk)…');
  const sims = await startSimulators(dataDir);
  const env = {
    ...process.env,
    CALLHOUSE_HTTP_PORT: process.env.CALLHOUSE_HTTP_PORT ?? String(await portOr(8080)),
    CALLHOUSE_ADMIN_PORT: process.env.CALLHOUSE_ADMIN_PORT ?? String(await portOr(8081)),
  };
  const config = validateConfig(demoConfig(sims), env);
  out(`callhouse demo: starting Kafka, the warehouse and the pipeline (data in ${config.env.dataDir})…`);
  out(`callhouse demo: log lines go to ${logFile}`);
  let service: Service | undefined;
  let stopping = false;
  const cleanup = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await service?.stop().catch(() => undefined);
    for (const s of Object.values(sims)) await s.close().catch(() => undefined);
  };
  const onSignal = (): void => {
    out('\ncallhouse demo: interrupted, cleaning up…');
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    service = await startService(config, 'all', logger);
    const svc = service;
    const wh = svc.warehouse!;
    out(`callhouse demo: ingest ${svc.ingestUrl}, admin ${svc.adminUrl}`);

    const started = Date.now();
    const ingest = svc.ingestUrl!;
    const yesterday = DateTime.utc().minus({ days: 1 }).startOf('day');
    let round = 0;
    // Pushed traffic while the pollers read, side by side: CDR notifications, the P-Series' live
    // call events, and for the demo's duration rounds of PBX reports and Asterisk appending calls.
    const pushers = Promise.all([
      sims.voicenter
        .notify({ target: `${ingest}/ingest/voicenter/tel-aviv?token=${DEMO_TOKEN}`, count: 40, format: 'json' })
        .catch((e: Error) => logger.warn(e.message)),
      postCallEvents(`${ingest}/ingest/yeastar-p/shanghai-p570?token=${DEMO_TOKEN}`, {
        seed: 3,
        count: 60,
        timezone: 'Asia/Shanghai',
        start: DateTime.now().setZone('Asia/Shanghai').minus({ days: 1 }).set({ hour: 8, minute: 0, second: 0 }),
      }).catch((e: Error) => logger.warn(e.message)),
      (async () => {
        // At least one round of PBX reports, however short the duration.
        do {
          await sims.yeastarS.playFlows({
            target: `${ingest}/ingest/yeastar-s/london-pbx?token=${DEMO_TOKEN}`,
            count: 40,
            seed: 100 + round,
            shape: 'mixed',
            resendRate: 0.05,
            timezone: 'Europe/London',
            startEpoch: Math.floor(yesterday.plus({ hours: 7 + ((round * 2) % 12) }).toSeconds()),
          });
          await sims.asterisk.writeCalls(5);
          round += 1;
          await sleep(500);
        } while (Date.now() - started < durationMs && !stopping);
      })(),
    ]);

    const rawTopics = [...new Set(config.connectors.map((c) => svc.topics.raw(c.type)))];
    const sinkTopics = [svc.topics.calls, svc.topics.callEvents, svc.topics.reportRows];
    const snapshot = async (): Promise<DemoSnapshot> => ({
      elapsedSeconds: Math.round((Date.now() - started) / 1000),
      connectors: svc.status.all().map((c) => ({ id: c.id, type: c.type, received: c.received, state: c.state })),
      calls: await rowCount(wh, 'calls'),
      reportRows: await rowCount(wh, 'report_rows'),
      deadLetters: await rowCount(wh, 'dead_letters'),
      lag: sum(await svc.bus.lag(svc.topics.groups.transform, rawTopics).catch(() => ({}))),
    });
    const progress = demoProgress(Math.round(durationMs / 1000), config.connectors, out);
    const tick = (): Promise<void> => snapshot().then(progress.update, () => undefined);
    const ticker = setInterval(() => void tick(), 1000);
    await pushers;
    // One more look of the 2-second Asterisk schedule at the lines appended last.
    await sleep(2500);
    // Let the pipeline drain: until the transform and sink have nothing left and the pollers are idle.
    const drainUntil = Date.now() + 60_000;
    while (Date.now() < drainUntil) {
      const busy = svc.status.all().some((c) => c.state === 'running');
      const lagT = sum(await svc.bus.lag(svc.topics.groups.transform, rawTopics));
      const lagS = sum(await svc.bus.lag(svc.topics.groups.sink, sinkTopics));
      if (!busy && lagT === 0 && lagS === 0) break;
      await sleep(500);
    }
    await sleep(1000);
    clearInterval(ticker);
    const last = await snapshot();
    progress.update(last);
    progress.stop();
    if (!process.stdout.isTTY) {
      const per = last.connectors.map((c) => `${c.id} ${c.received}`).join(', ');
      out(
        `done after ${last.elapsedSeconds}s: received ${per}; ${last.calls} calls, ${last.reportRows} report rows, ${last.deadLetters} dead letters`,
      );
    }

    const client = await analystClient(wh, warehouseOptions(config));
    const kpi = await readOnlyQuery(client, KPI_SUMMARY_SQL);
    out('\nKPI summary (from the kpi_daily view):');
    out(formatRows(kpi.columns, kpi.rows, 'table'));
    for (const c of svc.status.all().filter((x) => x.last_error)) out(`note: ${c.id} ${c.state}: ${c.last_error}`);
    out(`\nThe data stays in ${config.env.dataDir}; the demo's log is ${logFile}. Query it, for example:`);
    for (const q of EXAMPLE_QUERIES) out(`\n  # ${q.what}\n  ${printedQuery(q.sql)}`);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanup();
    // The CLI exits soon after a command returns: the log's last lines are written first.
    await new Promise<void>((resolve) => logStream.end(resolve));
  }
}

async function rowCount(wh: Warehouse, relation: string): Promise<number> {
  const final = relation === 'dead_letters' ? '' : ' FINAL';
  const rs = await wh.client.query({
    query: `SELECT count() AS n FROM ${wh.database}.${relation}${final}`,
    format: 'JSONEachRow',
  });
  return Number(((await rs.json()) as { n: number | string }[])[0]?.n ?? 0);
}
