/**
 * Yeastar P-Series (OpenAPI): call reports downloaded as CSV on a schedule (poll), and event
 * reports (call end details, timelines, call states, DTMF, report ready) POSTed by the PBX (push).
 */
import { defineConnector } from '../core/contract.js';
import { normaliseYeastarP } from '../../transforms/yeastar-p/index.js';
import { yeastarPConfigSchema, type YeastarPConfig } from './config.js';
import { ingest } from './ingest.js';
import { readReports } from './poller.js';
import { OpenApiClient } from './client.js';

export const yeastarP = defineConnector<YeastarPConfig>({
  type: 'yeastar-p',
  title: 'Yeastar P-Series',
  configSchema: yeastarPConfigSchema,
  example: {
    id: 'office-p550',
    type: 'yeastar-p',
    timezone: 'Europe/Berlin',
    country: 'DE',
    token: '${YEASTAR_P_WEBHOOK_TOKEN}',
    base_url: 'https://192.168.5.150:8088',
    client_id: '${YEASTAR_P_CLIENT_ID}',
    client_secret: '${YEASTAR_P_CLIENT_SECRET}',
    api_version: 'v2.0',
    display_format: 'DD/MM/YYYY',
    clock: '24',
    schedule: '5 * * * *',
    reports: [
      { type: 'extcallstatistics', ext_id_list: [1, 2, 3], granularity: 'day' },
      { type: 'queueperformance', queue_id_list: [1], granularity: 'hour' },
      { type: 'trunkactivity', trunk_id_list: [1], granularity: 'day' },
    ],
  },
  normalise: normaliseYeastarP,
  ingest,
  poll: {
    defaultSchedule: '5 * * * *',
    read: readReports,
    async check(ctx) {
      await new OpenApiClient(ctx).accessToken();
    },
  },
});

export default yeastarP;
