/**
 * The PBX POSTs one report per request (JSON, `User-Agent: WebAPI`) and resends it unless it gets
 * a 200. Bodies are passed on unchanged; an array of reports is split, each element keeping its
 * exact text (and so its duplicate keys).
 */
import type { IngestSpec, RawPayload } from '../core/contract.js';
import { callIdOf, readReports } from '../../transforms/yeastar-s/body.js';
import type { YeastarSConfig } from './config.js';
import { downloadRecordings } from './recordings.js';

export const yeastarSIngest: IngestSpec<YeastarSConfig> = {
  accept(body, contentType): RawPayload[] {
    return readReports(body).map((r): RawPayload => ({
      key: callIdOf(r.value),
      body: r.text === null ? body : Buffer.from(r.text, 'utf8'),
      content_type: r.text === null ? contentType : 'application/json',
      meta: {},
    }));
  },
  ok: () => ({ status: 200, body: { status: 'Success' } }),
  afterDurable: downloadRecordings,
  rejected: (_config, reason) => ({ status: 400, body: { status: 'Failed', reason } }),
};
