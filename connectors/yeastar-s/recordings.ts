/**
 * Recording downloads: when the connector has an `api` session configured, every NewCdr that
 * names a recording is fetched from the PBX (get_random, then download within its 30 s) into
 * `api.recordings_dir`, and its location is recorded as a `RecordingSaved` report of the call
 * (a `call_events` row, event_type `other`, `info` = the file's path).
 *
 * Downloads are streamed to disk, at most `max_recording_bytes` each, `max_concurrent_downloads`
 * at once per connector with up to `max_queued_downloads` waiting. A recording that cannot be
 * saved (too large, queue full, refused by the PBX) gets a `RecordingFailed` report of its call
 * instead, whose `info` says why, and is counted as a failure of the connector.
 */
import { isAbsolute, join } from 'node:path';
import { asCallhouseError } from '../../runtime/errors.js';
import { redactText } from '../../runtime/redact.js';
import type { AfterDurableContext, RawPayload } from '../core/contract.js';
import { TaskQueue } from '../core/download.js';
import { readReports } from '../../transforms/yeastar-s/body.js';
import { field, readReport } from '../../transforms/yeastar-s/report.js';
import { YeastarSApiClient } from './api.js';
import type { YeastarSConfig } from './config.js';

const sessions = new Map<string, YeastarSApiClient>();
const queues = new Map<string, TaskQueue>();

function queue(config: YeastarSConfig): TaskQueue {
  const api = config.api!;
  let q = queues.get(config.id);
  if (!q || q.concurrency !== api.max_concurrent_downloads || q.maxQueued !== api.max_queued_downloads) {
    q = new TaskQueue(api.max_concurrent_downloads, api.max_queued_downloads);
    queues.set(config.id, q);
  }
  return q;
}

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
  queues.clear();
}

export async function downloadRecordings(
  payloads: RawPayload[],
  config: YeastarSConfig,
  ctx: AfterDurableContext,
): Promise<RawPayload[]> {
  if (!config.api) return [];
  const dir = isAbsolute(config.api.recordings_dir)
    ? config.api.recordings_dir
    : join(ctx.dataDir, config.api.recordings_dir);
  const named: { callid: string; recording: string }[] = [];
  for (const p of payloads) {
    for (const r of readReports(p.body)) {
      const view = readReport(r.value);
      const recording = field(view, 'recording');
      if (view.action.toLowerCase() === 'newcdr' && recording !== '') named.push({ callid: view.callid, recording });
    }
  }
  const report = (action: string, callid: string, recording: string, info: string): RawPayload => ({
    key: callid,
    body: Buffer.from(JSON.stringify({ action, callid, recording, info })),
    content_type: 'application/json',
    meta: { generated: 'recording' },
  });
  const q = queue(config);
  return Promise.all(
    named.map(async ({ callid, recording }) => {
      try {
        const path = await q.run(
          () => session(config, ctx).downloadRecording(recording, join(dir, config.id)),
          `recording ${recording}`,
        );
        return report('RecordingSaved', callid, recording, path);
      } catch (e) {
        const err = asCallhouseError(e);
        ctx.logger.warn({ error_code: err.code, recording }, `yeastar-s recording not saved: ${err.message}`);
        ctx.failed?.(err);
        return report('RecordingFailed', callid, recording, redactText(`${err.code}: ${err.message}`));
      }
    }),
  );
}
