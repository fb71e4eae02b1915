/**
 * Asterisk: CDR CSV (`Master.csv` of cdr_csv / cdr_custom), read from the directory Asterisk
 * writes it to (poll: new complete lines, following rotation) and/or POSTed as a file to
 * /ingest/asterisk/{id} (push). One row per leg; the linkedid group (else the uniqueid) is the call.
 */
import { defineConnector } from '../core/contract.js';
import { normaliseAsterisk } from '../../transforms/asterisk/normalise.js';
import { asteriskConfigSchema, type AsteriskConfig } from './config.js';
import { asteriskIngest } from './ingest.js';
import { checkDirectory, readDirectory } from './poller.js';

export const asterisk = defineConnector<AsteriskConfig>({
  type: 'asterisk',
  title: 'Asterisk CDR CSV (directory or POSTed file)',
  configSchema: asteriskConfigSchema,
  example: {
    id: 'office-asterisk',
    type: 'asterisk',
    timezone: 'Europe/London',
    country: 'GB',
    token: '${ASTERISK_TOKEN}',
    directory: '/var/log/asterisk/cdr-csv',
    extra_columns: ['linkedid', 'sequence'],
    trunks: ['trunk-gb'],
  },
  normalise: normaliseAsterisk,
  ingest: asteriskIngest,
  poll: {
    defaultSchedule: '* * * * *',
    read: readDirectory,
    check: checkDirectory,
  },
});

export default asterisk;
export { asteriskConfigSchema, type AsteriskConfig };
