/**
 * The demo's world: simulators of the five vendors, each serving or sending a varied day of calls
 * for its own tenant, and the configuration that points one connector of each type at them.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startSimulator as startYeastarS } from '../../simulators/yeastar-s/index.js';
import { startSimulator as startIpcortex } from '../../simulators/ipcortex/index.js';
import { startSimulator as startYeastarP } from '../../simulators/yeastar-p/index.js';
import { startSimulator as startVoicenter } from '../../simulators/voicenter/index.js';
import { startSimulator as startAsterisk } from '../../simulators/asterisk/index.js';

export const DEMO_TOKEN = 'demo-ingest-token';

export async function startSimulators(dataDir: string) {
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
  // The CDR directory stays with the data, so that a second demo run continues the same files
  // from the connector's stored position.
  const cdrDir = resolve(dataDir, 'demo', 'asterisk-cdr');
  mkdirSync(cdrDir, { recursive: true });
  const asterisk = await startAsterisk({
    directory: cdrDir,
    seed: 13,
    timezone: 'Europe/London',
    extraColumns: ['linkedid', 'sequence'],
    initialCalls: 60,
    start: new Date(Date.now() - 20 * 3_600_000).toISOString(),
  });
  return { yeastarS, ipcortex, voicenter, yeastarP, asterisk };
}

export type DemoSimulators = Awaited<ReturnType<typeof startSimulators>>;

export function demoConfig(s: DemoSimulators): Record<string, unknown> {
  return {
    sink: { batch_ms: 200 },
    connectors: [
      {
        id: 'london-pbx',
        type: 'yeastar-s',
        tenant: 'acme',
        timezone: 'Europe/London',
        country: 'GB',
        token: DEMO_TOKEN,
      },
      {
        id: 'uk-pabx',
        type: 'ipcortex',
        tenant: 'brightdesk',
        timezone: 'Europe/London',
        country: 'GB',
        base_url: s.ipcortex.url,
        key: 'demo-ipcortex-key-1',
        lookback_days: 1,
      },
      {
        id: 'shanghai-p570',
        type: 'yeastar-p',
        tenant: 'lotus',
        timezone: 'Asia/Shanghai',
        country: 'CN',
        token: DEMO_TOKEN,
        base_url: s.yeastarP.url,
        client_id: 'demo-client',
        client_secret: 'demo-secret',
        display_format: 'DD/MM/YYYY',
        clock: '12',
        reports: [{ type: 'extcallstatistics', ext_id_list: [1, 2, 3], granularity: 'day' }],
      },
      {
        id: 'tel-aviv',
        type: 'voicenter',
        tenant: 'shalom',
        timezone: 'Asia/Jerusalem',
        country: 'IL',
        base_url: s.voicenter.url,
        code: 'demo-voicenter-code',
        token: DEMO_TOKEN,
        min_spacing_ms: 50,
      },
      {
        id: 'leeds-asterisk',
        type: 'asterisk',
        tenant: 'northwind',
        timezone: 'Europe/London',
        country: 'GB',
        directory: s.asterisk.directory,
        extra_columns: ['linkedid', 'sequence'],
        trunks: ['trunk-gb'],
        token: DEMO_TOKEN,
        // Every 2 s (six-field cron) so that the demo's appended calls show up while it runs.
        schedule: '*/2 * * * * *',
      },
    ],
  };
}
