/**
 * The webhook side: the PBX POSTs event reports to /ingest/yeastar-p/{id}. Each event becomes one
 * payload keyed by its call; a 30027 "report ready" also wakes the poller waiting for that file.
 */
import { CallhouseError } from '../../runtime/errors.js';
import type { IngestSpec, RawPayload } from '../core/contract.js';
import { callKeyOf, decodeEvent, isObject, readEvents, text } from '../../transforms/yeastar-p/event-body.js';
import type { YeastarPConfig } from './config.js';
import { reportNotifier } from './notifier.js';

export const REPORT_READY = 30027;

export const ingest: IngestSpec<YeastarPConfig> = {
  accept(body: Buffer, contentType: string, config: YeastarPConfig): RawPayload[] {
    const items = readEvents(body);
    if (items.length === 0) throw new CallhouseError('PARSE_ERROR', 'empty event list');
    return items.map((item) => {
      if (!isObject(item)) throw new CallhouseError('PARSE_ERROR', 'event is not a JSON object');
      let key = '';
      let type = text(item.type);
      try {
        const ev = decodeEvent(item);
        type = String(ev.type);
        key = callKeyOf(ev.msg);
        if (ev.type === REPORT_READY) notifyReportReady(config.id, ev.msg);
      } catch {
        // Unreadable inside (msg not JSON, no type): the transform dead-letters it with the reason.
      }
      return {
        key,
        body: items.length === 1 ? body : Buffer.from(JSON.stringify(item)),
        content_type: contentType || 'application/json',
        meta: (type ? { event_type: type } : {}) as Record<string, string>,
      };
    });
  },
  ok: () => ({ status: 200, body: { errcode: 0, errmsg: 'SUCCESS' }, contentType: 'application/json' }),
  rejected: (_config, reason) => ({
    status: 400,
    body: { errcode: 40001, errmsg: `PARAMETER SYNTAX ERROR: ${reason}` },
    contentType: 'application/json',
  }),
};

function notifyReportReady(connectorId: string, msg: Record<string, unknown>): void {
  if (text(msg.key) !== '' && text(msg.key) !== 'report_download') return;
  reportNotifier.notify(connectorId, {
    file: text(msg.file),
    download_resource_url: text(msg.download_resource_url),
    result: text(msg.result),
    error: text(msg.error),
  });
}
