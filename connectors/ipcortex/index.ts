/**
 * IPCortex PABX: call records and monthly cost summaries polled from the billing REST API
 * (`POST {base_url}/rest/call/{allcalls|incalls|outcalls|outsummary}`).
 */
import { defineConnector } from '../core/contract.js';
import { normaliseIpcortex } from '../../transforms/ipcortex/index.js';
import { IpcortexClient } from './client.js';
import { ipcortexConfigSchema, ipcortexExample, type IpcortexConfig } from './config.js';
import { readIpcortex } from './poller.js';

export const ipcortex = defineConnector<IpcortexConfig>({
  type: 'ipcortex',
  title: 'IPCortex PABX (billing REST API, polled)',
  configSchema: ipcortexConfigSchema,
  example: ipcortexExample,
  normalise: normaliseIpcortex,
  poll: {
    // Reports lock the single-threaded billing engine: read once a day, at night.
    defaultSchedule: '20 3 * * *',
    read: readIpcortex,
    async check(ctx) {
      const client = new IpcortexClient(ctx);
      try {
        await client.check();
      } finally {
        await client.close();
      }
    },
  },
});

export default ipcortex;
export type { IpcortexConfig } from './config.js';
