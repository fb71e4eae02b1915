/**
 * `yeastar-s`: Yeastar S-Series (and K2/Cloud PBX v1) "API reports", pushed by the PBX to
 * POST /ingest/yeastar-s/{id}. Key: the report's callid. No poll side: the PBX API session
 * (api.ts) is only used to download recordings.
 */
import { defineConnector } from '../core/contract.js';
import { normaliseYeastarS } from '../../transforms/yeastar-s/normalise.js';
import { yeastarSConfigSchema, type YeastarSConfig } from './config.js';
import { yeastarSIngest } from './ingest.js';

export const yeastarS = defineConnector<YeastarSConfig>({
  type: 'yeastar-s',
  title: 'Yeastar S-Series API reports (push)',
  configSchema: yeastarSConfigSchema,
  example: {
    id: 'hq-pbx',
    type: 'yeastar-s',
    timezone: 'Europe/London',
    country: 'GB',
    token: '${YEASTAR_TOKEN}',
    allow_ips: ['192.0.2.10/32'],
  },
  normalise: normaliseYeastarS,
  ingest: yeastarSIngest,
});

export default yeastarS;
