/**
 * Voicenter (Israel): the Call Log (CDR) API polled on a schedule, and CDR notifications POSTed
 * to /ingest/voicenter/{id}. Both become the same canonical call, keyed by Voicenter's call id.
 */
import { defineConnector } from '../core/contract.js';
import { normaliseVoicenter } from '../../transforms/voicenter/normalise.js';
import { voicenterConfigSchema, type VoicenterConfig } from './config.js';
import { voicenterIngest } from './ingest.js';
import { readCdrs, END_DELAY_MS } from './poller.js';
import { fetchCdrs } from './client.js';

export const voicenter = defineConnector<VoicenterConfig>({
  type: 'voicenter',
  title: 'Voicenter',
  configSchema: voicenterConfigSchema,
  example: {
    id: 'voicenter-main',
    type: 'voicenter',
    code: '${VOICENTER_CODE}',
    token: '${VOICENTER_NOTIFY_TOKEN}',
    timezone: 'Asia/Jerusalem',
    country: 'IL',
    schedule: '*/5 * * * *',
    overlap_minutes: 30,
  },
  normalise: normaliseVoicenter,
  ingest: voicenterIngest,
  poll: {
    defaultSchedule: '*/5 * * * *',
    read: readCdrs,
    async check(ctx) {
      if (!ctx.config.code) return;
      // One minute of Call Log: proves the address is trusted and the code accepted.
      const to = new Date(Math.floor((ctx.now().getTime() - END_DELAY_MS) / 1000) * 1000);
      await fetchCdrs(ctx, new Date(to.getTime() - 60_000), to);
    },
  },
});

export default voicenter;
export { voicenterConfigSchema, type VoicenterConfig };
