/** The `callhouse` command line. Exit codes: 0 success, 1 failure, 2 bad usage or configuration. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { CONNECTOR_TYPES } from '../connectors/types.js';
import { CallhouseError, asCallhouseError } from './errors.js';
import { adminRequest } from './cli/admin-client.js';
import { firstRunError } from './cli/first-run.js';
import { redactText } from './redact.js';
import { routeProcessWarnings } from './warnings.js';
import type { Config } from './config.js';
import type { Role } from './service.js';
import type { SqlResult } from './sql.js';
import type { Warehouse } from './warehouse.js';
import type { DeadLetterRow } from './cli/dlq.js';
import type { statusTable } from './cli/status.js';

// Only what --help needs is loaded up front; each command imports the rest when it runs, so that
// `callhouse --help` (and a typo) answers in a fraction of a second.
const ROLES: Role[] = ['all', 'ingest', 'transform', 'sink', 'poll'];
routeProcessWarnings();
const program = new Command();
program
  .name('callhouse')
  .description('Call data of business phone systems, streamed through Kafka into one ClickHouse warehouse.')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

const configOption = new Option('--config <file>', 'configuration file (default: callhouse.yaml or $CALLHOUSE_CONFIG)');

async function config(opts: { config?: string }): Promise<Config> {
  const { loadConfig } = await import('./config.js');
  return loadConfig({ file: opts.config });
}

program
  .command('init')
  .description('write a starting configuration (callhouse.yaml) for the named connector types')
  .argument('[types...]', `connector types (default: all): ${CONNECTOR_TYPES.join(', ')}`)
  .option('--config <file>', 'where to write it', 'callhouse.yaml')
  .option('--force', 'overwrite an existing file')
  .action(async (types: string[], opts: { config: string; force?: boolean }) => {
    const { existsSync, writeFileSync } = await import('node:fs');
    const { initConfig } = await import('./cli/init.js');
    const text = initConfig(types);
    if (existsSync(opts.config) && !opts.force) {
      throw new CallhouseError('USAGE', `${opts.config} exists; pass --force to overwrite it`);
    }
    writeFileSync(opts.config, text, { mode: 0o600 });
    console.log(`wrote ${opts.config} with ${types.length ? types.join(', ') : CONNECTOR_TYPES.join(', ')}`);
    const vars = /^# Set before starting: (.+)$/m.exec(text)?.[1];
    if (vars) console.log(`set ${vars} in the environment, then run: npx callhouse start --config ${opts.config}`);
  });

program
  .command('start')
  .description('run the pipeline (all roles, or one role per process)')
  .addOption(configOption)
  .addOption(new Option('--role <role>', 'which role to run').choices(ROLES).default('all'))
  .action(async (opts: { config?: string; role: Role }) => {
    const cfg = await config(opts);
    const { createLogger } = await import('./logging.js');
    const { startService } = await import('./service.js');
    const logger = createLogger(cfg.env.logLevel);
    const service = await startService(cfg, opts.role, logger);
    logger.info({ role: opts.role, connectors: cfg.connectors.map((c) => c.id) }, 'callhouse started');
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        logger.info(`${signal}: shutting down`);
        void service.stop().then(resolve, (e) => {
          logger.error(`shutdown failed: ${(e as Error).message}`);
          resolve();
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  });

/** The warehouse, for a command that must not share the embedded one with a running callhouse. */
async function openFreeWarehouse(cfg: Config, why: string): Promise<Warehouse> {
  const { warehouseHolder, warehouseOptions } = await import('./service.js');
  const { openWarehouse } = await import('./warehouse.js');
  if (!cfg.env.clickhouseUrl && warehouseHolder(cfg.env.dataDir)) {
    throw new CallhouseError('USAGE', `the embedded warehouse is held by a running callhouse, ${why}`);
  }
  return openWarehouse(warehouseOptions(cfg));
}

program
  .command('migrate')
  .description('apply the sql/ migrations to the warehouse (idempotent)')
  .addOption(configOption)
  .action(async (opts: { config?: string }) => {
    const cfg = await config(opts);
    const { migrate } = await import('./migrations.js');
    const wh = await openFreeWarehouse(cfg, 'which has already migrated it');
    const r = await migrate(wh, { rawRetentionDays: cfg.warehouse.raw_retention_days });
    console.log(
      `migrations applied: ${r.applied.length ? r.applied.join(', ') : 'none (up to date)'}; views: ${r.views.length}`,
    );
    await wh.close();
  });

program
  .command('backfill')
  .description('read a polling connector over a past window, once (idempotent, resumable)')
  .argument('<connector-id>')
  .requiredOption('--from <iso>', 'start of the window (ISO 8601)')
  .requiredOption('--to <iso>', 'end of the window (ISO 8601, exclusive)')
  .addOption(configOption)
  .action(async (id: string, opts: { from: string; to: string; config?: string }) => {
    const cfg = await config(opts);
    const { connectorSpec } = await import('../connectors/registry.js');
    const { createLogger } = await import('./logging.js');
    const { connectKafka, topicSpecs } = await import('./service.js');
    const { Bus, topicNames } = await import('./kafka.js');
    const { CursorStore } = await import('./cursors.js');
    const { StatusBoard } = await import('./status.js');
    const { Metrics } = await import('./metrics.js');
    const { backfill } = await import('./roles/poll.js');
    const { progressReporter } = await import('./cli/progress.js');
    const c = cfg.connectors.find((x) => x.id === id);
    if (!c) throw new CallhouseError('USAGE', `no connector with id ${JSON.stringify(id)} in the configuration`);
    if (!connectorSpec(c.type)?.poll)
      throw new CallhouseError('USAGE', `connector ${id} (${c.type}) does not poll; nothing to backfill`);
    const from = new Date(opts.from);
    const to = new Date(opts.to);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
      throw new CallhouseError('USAGE', '--from and --to must be ISO 8601 times with --from before --to');
    }
    const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
    const kafka = await connectKafka(cfg, logger);
    const bus = new Bus({ brokers: kafka.brokers, clientId: `${cfg.kafka.client_id}-backfill`, logger });
    const topics = topicNames(cfg.env.topicPrefix);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort(new Error('interrupted')));
    try {
      await bus.ensureTopics(topicSpecs(cfg, topics));
      const status = new StatusBoard();
      status.register(c.id, c.type, c.tenant, 'poll', true);
      const report = progressReporter(`${id}`);
      const r = await backfill(
        c,
        { from, to },
        {
          bus,
          topics,
          cursors: new CursorStore(bus, topics),
          logger,
          metrics: new Metrics({ defaults: false }),
          status,
          dataDir: cfg.env.dataDir,
        },
        report.update,
        abort.signal,
      );
      report.done();
      console.log(
        `backfill ${id}: ${r.records} records over ${r.days} day(s)${r.resumedFrom ? `, resumed from ${r.resumedFrom}` : ''}`,
      );
    } finally {
      await bus.close();
      await kafka.local?.stop();
    }
  });

program
  .command('transform')
  .description('print the canonical records a vendor payload becomes (JSON lines), touching no Kafka and no warehouse')
  .argument('<type>', `connector type: ${CONNECTOR_TYPES.join(', ')}`)
  .argument('[file]', 'payload file (default: stdin)')
  .option('--timezone <zone>', 'IANA time zone of local times in the payload')
  .option('--country <cc>', 'default country for phone numbers')
  .option('--display-format <fmt>', 'Yeastar P-Series date display format (MM/DD/YYYY, DD/MM/YYYY, YYYY/MM/DD)')
  .option('--meta <key=value...>', 'context of a polled payload, e.g. report_type=extcallstatistics')
  .action(
    async (
      type: string,
      file: string | undefined,
      opts: { timezone?: string; country?: string; displayFormat?: string; meta?: string[] },
    ) => {
      if (!(CONNECTOR_TYPES as readonly string[]).includes(type))
        throw new CallhouseError(
          'USAGE',
          `unknown type ${JSON.stringify(type)}: expected one of ${CONNECTOR_TYPES.join(', ')}`,
        );
      const { transformInput } = await import('./cli/transform.js');
      const input = readFileSync(file ?? 0);
      const meta = Object.fromEntries(
        (opts.meta ?? []).map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')]),
      );
      try {
        const onAssumed = (assumed: string[]): void => {
          if (assumed.length > 0) process.stderr.write(`assumed (schema defaults): ${assumed.join(', ')}\n`);
        };
        const { records } = transformInput(type, input, { ...opts, meta, onAssumed }, (m) =>
          process.stderr.write(`warning: ${m}\n`),
        );
        for (const r of records) process.stdout.write(`${JSON.stringify(r)}\n`);
      } catch (e) {
        const err = asCallhouseError(e);
        if (err.code === 'USAGE' || err.code === 'CONFIG_INVALID') throw err;
        throw new CallhouseError(err.code, `dead letter (${err.code}): ${err.message}`);
      }
    },
  );

async function runSql(cfg: Config, query: string): Promise<SqlResult> {
  const { warehouseHolder, warehouseOptions } = await import('./service.js');
  const { analystClient, openWarehouse } = await import('./warehouse.js');
  const { readOnlyQuery } = await import('./sql.js');
  const holder = cfg.env.clickhouseUrl ? undefined : warehouseHolder(cfg.env.dataDir);
  if (holder) {
    const res = await adminRequest(cfg, holder.adminUrl, '/sql', { method: 'POST', json: { query } });
    const body = (await res.json()) as SqlResult & { error?: string };
    if (!res.ok) throw new CallhouseError('USAGE', body.error ?? `HTTP ${res.status}`);
    return body;
  }
  const wh = await openWarehouse(warehouseOptions(cfg));
  try {
    return await readOnlyQuery(await analystClient(wh, warehouseOptions(cfg)), query);
  } finally {
    await wh.close();
  }
}

program
  .command('sql')
  .description('run a read-only query on the warehouse')
  .argument('<query>')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
  .addOption(configOption)
  .action(async (query: string, opts: { format: 'table' | 'csv' | 'json'; config?: string }) => {
    const cfg = await config(opts);
    const r = await runSql(cfg, query);
    const { formatRows } = await import('./cli/output.js');
    console.log(formatRows(r.columns, r.rows, opts.format));
  });

const rollup = program.command('rollup').description('the exact rollup behind kpi_daily');
rollup
  .command('check')
  .description('compare kpi_daily with kpi_daily_from_calls; exit 1 and list the rows that differ')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
  .addOption(configOption)
  .action(async (opts: { format: 'table' | 'csv' | 'json'; config?: string }) => {
    const { rollupCheckSql } = await import('./rollups.js');
    const { formatRows } = await import('./cli/output.js');
    const r = await runSql(await config(opts), rollupCheckSql());
    if (r.rows.length === 0) {
      console.log('kpi_daily agrees with kpi_daily_from_calls on every row');
      return;
    }
    console.log(formatRows(r.columns, r.rows, opts.format));
    throw new CallhouseError('INTERNAL', `${r.rows.length} rows differ; \`callhouse rollup rebuild\` recounts`);
  });
rollup
  .command('rebuild')
  .description('recount the rollup from calls (stop the sink first)')
  .addOption(configOption)
  .action(async (opts: { config?: string }) => {
    const { rebuildRollups } = await import('./rollups.js');
    const wh = await openFreeWarehouse(await config(opts), 'whose sink writes calls: stop it first');
    try {
      await rebuildRollups(wh);
      console.log('kpi_daily rollup rebuilt from calls');
    } finally {
      await wh.close();
    }
  });

const dlq = program.command('dlq').description('inspect and replay dead letters');
dlq
  .command('list')
  .description('list dead letters not yet replayed, newest first')
  .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 50)
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
  .addOption(configOption)
  .action(async (opts: { limit: number; format: 'table' | 'csv' | 'json'; config?: string }) => {
    const cfg = await config(opts);
    const { dlqQuery } = await import('./cli/dlq.js');
    const { formatRows } = await import('./cli/output.js');
    const r = await runSql(cfg, dlqQuery({ limit: opts.limit, database: cfg.env.clickhouseDatabase }));
    console.log(formatRows(r.columns, r.rows, opts.format));
  });
dlq
  .command('replay')
  .description('put dead letters back through the pipeline after a fix')
  .option('--since <iso>', 'only dead letters at or after this time')
  .option('--connector <id>', 'only this connector')
  .addOption(configOption)
  .action(async (opts: { since?: string; connector?: string; config?: string }) => {
    const cfg = await config(opts);
    const { dlqQuery, replayDeadLetters } = await import('./cli/dlq.js');
    const { createLogger } = await import('./logging.js');
    const { connectKafka } = await import('./service.js');
    const { Bus, topicNames } = await import('./kafka.js');
    const r = await runSql(cfg, dlqQuery({ ...opts, database: cfg.env.clickhouseDatabase, withPayload: true }));
    const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
    const kafka = await connectKafka(cfg, logger);
    const bus = new Bus({ brokers: kafka.brokers, clientId: `${cfg.kafka.client_id}-replay`, logger });
    try {
      const n = await replayDeadLetters(bus, topicNames(cfg.env.topicPrefix), r.rows as unknown as DeadLetterRow[]);
      console.log(`replayed ${n} dead letter(s)`);
    } finally {
      await bus.close();
      await kafka.local?.stop();
    }
  });

program
  .command('status')
  .description('per connector: state, last success, cursor, errors, Kafka lag, dead letters')
  .option('--json', 'print JSON')
  .addOption(configOption)
  .action(async (opts: { json?: boolean; config?: string }) => {
    const cfg = await config(opts);
    const { statusTable } = await import('./cli/status.js');
    // No service answering is not an error (the status then comes from Kafka and the warehouse);
    // a service that refuses our token is.
    const res = await adminRequest(cfg, `http://127.0.0.1:${cfg.env.adminPort}`, '/status').catch((e: unknown) => {
      if (e instanceof CallhouseError) throw e;
      return undefined;
    });
    const body = res?.ok ? ((await res.json()) as Parameters<typeof statusTable>[0]) : await offlineStatus(cfg);
    console.log(opts.json ? JSON.stringify(body, null, 2) : statusTable(body));
  });

/** Status when no service answers: cursors and lag from Kafka, dead letters from the warehouse. */
async function offlineStatus(cfg: Config): Promise<Parameters<typeof statusTable>[0]> {
  const { createLogger } = await import('./logging.js');
  const { connectKafka, statusReport, topicSpecs, warehouseHolder, warehouseOptions } = await import('./service.js');
  const { Bus, topicNames } = await import('./kafka.js');
  const { openWarehouse } = await import('./warehouse.js');
  const { StatusBoard } = await import('./status.js');
  const { CursorStore } = await import('./cursors.js');
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
  const kafka = await connectKafka(cfg, logger);
  const bus = new Bus({ brokers: kafka.brokers, clientId: `${cfg.kafka.client_id}-status`, logger });
  const topics = topicNames(cfg.env.topicPrefix);
  const held = !cfg.env.clickhouseUrl && warehouseHolder(cfg.env.dataDir);
  const wh = held ? undefined : await openWarehouse(warehouseOptions(cfg)).catch(() => undefined);
  const board = StatusBoard.of(cfg.connectors);
  for (const c of cfg.connectors) board.update(c.id, { state: c.enabled ? 'not running' : 'disabled' });
  try {
    await bus.ensureTopics(topicSpecs(cfg, topics));
    return await statusReport(cfg, board, bus, topics, wh, new CursorStore(bus, topics));
  } finally {
    await bus.close();
    await wh?.close();
    await kafka.local?.stop();
  }
}

program
  .command('simulate')
  .description('serve a simulator of a vendor API, for trying callhouse without a PBX')
  .argument('<type>', `connector type: ${CONNECTOR_TYPES.join(', ')}`)
  .option('--port <n>', 'port to listen on', (v) => Number.parseInt(v, 10), 0)
  .action(async (type: string, opts: { port: number }) => {
    if (!(CONNECTOR_TYPES as readonly string[]).includes(type))
      throw new CallhouseError(
        'USAGE',
        `unknown type ${JSON.stringify(type)}: expected one of ${CONNECTOR_TYPES.join(', ')}`,
      );
    const mod = (await import(`../simulators/${type}/index.js`)) as {
      startSimulator(o: { port?: number }): Promise<{ url: string; close(): Promise<void> }>;
    };
    const sim = await mod.startSimulator({ port: opts.port });
    console.log(`${type} simulator listening on ${sim.url}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => void sim.close().then(resolve));
      process.once('SIGTERM', () => void sim.close().then(resolve));
    });
  });

program
  .command('demo')
  .description(
    'the whole pipeline on embedded defaults with simulators of all five vendors, then a KPI summary and example queries',
  )
  .option('--duration <d>', 'how long simulated calls flow, e.g. 60s or 2m', '60s')
  .action(async (opts: { duration: string }) => {
    const { runDemo } = await import('./demo.js');
    await runDemo({ duration: opts.duration });
  });

program
  .command('config-docs')
  .description('print the configuration reference (Markdown) generated from the schemas')
  .action(async () => {
    const { configReference } = await import('./config-docs.js');
    console.log(configReference());
  });

export async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      return 2;
    }
    const err = firstRunError(e) ?? asCallhouseError(e);
    process.stderr.write(`callhouse: ${redactText(err.message)}\n`);
    return err.code === 'CONFIG_INVALID' || err.code === 'USAGE' ? 2 : 1;
  }
}

const code = await main(process.argv);
process.exitCode = code;
if (code !== 0 || (process.argv[2] !== 'start' && process.argv[2] !== 'simulate')) {
  // Kafka and warehouse clients may keep timers alive after a one-shot command, or after a
  // `start` that failed half-way.
  setTimeout(() => process.exit(code), 50).unref();
}
