/**
 * Recording downloads: when the connector has an `api` session configured, every NewCdr that
 * names a recording is fetched from the PBX (get_random, then download within its 30 s) into
 * `api.recordings_dir`, and its location is recorded as a `RecordingSaved` report of the call
 * (a `call_events` row, event_type `other`, `info` = the file's path).
 */
import { isAbsolute, join } from 'node:path';
import type { AfterDurableContext, RawPayload } from '../core/contract.js';
import { readReports } from '../../transforms/yeastar-s/body.js';
import { field, readReport } from '../../transforms/yeastar-s/report.js';
import { YeastarSApiClient } from './api.js';
import type { YeastarSConfig } from './config.js';

const sessions = new Map<string, YeastarSApiClient>();

/** One API session per connector, kept alive by its heartbeat. */
function session(config: YeastarSConfig, ctx: AfterDurableContext): YeastarSApiClient {
  let client = sessions.get(config.id);
  if (!client) {
    client = new YeastarSApiClient(config.api!);
    client.startHeartbeat((e) =>
      ctx.logger.warn({ error_code: e.code }, `yeastar-s API heartbeat failed: ${e.message}`),
    );
    sessions.set(config.id, client);
  }
  return client;
}

/** Stops every session's heartbeat (service shutdown, tests). */
export function closeRecordingSessions(): void {
  for (const c of sessions.values()) c.stopHeartbeat();
  sessions.clear();
}

export async function downloadRecordings(
  payloads: RawPayload[],
  config: YeastarSConfig,
  ctx: AfterDurableContext,
): Promise<RawPayload[]> {
  if (!config.api) return [];
  const out: RawPayload[] = [];
  for (const p of payloads) {
    for (const r of readReports(p.body)) {
      const view = readReport(r.value);
      const recording = field(view, 'recording');
      if (view.action.toLowerCase() !== 'newcdr' || recording === '') continue;
      const dir = isAbsolute(config.api.recordings_dir)
        ? config.api.recordings_dir
        : join(ctx.dataDir, config.api.recordings_dir);
      const path = await session(config, ctx).downloadRecording(recording, join(dir, config.id));
      out.push({
        key: view.callid,
        body: Buffer.from(JSON.stringify({ action: 'RecordingSaved', callid: view.callid, recording, info: path })),
        content_type: 'application/json',
        meta: { generated: 'recording' },
      });
    }
  }
  return out;
}
