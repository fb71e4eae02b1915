/**
 * CDR notifications: Voicenter POSTs one CDR per call (POST-JSON, form-encoded or XML-RPC, as
 * chosen in CPanel) and expects `{"Err":0,"Errdesc":"OK"}`. The body goes to Kafka unchanged,
 * keyed by `ivruniqueid`; an XML-RPC body is kept too and dead-lettered by the normaliser with a
 * clear reason, so it can be replayed once supported.
 */
import type { IngestSpec, RawPayload } from '../core/contract.js';
import { decodeBody, xmlRpcCallId } from '../../transforms/voicenter/decode.js';
import { ItemFields, type VoicenterItem } from '../../transforms/voicenter/fields.js';
import { shapeOf } from '../../transforms/voicenter/normalise.js';
import type { VoicenterConfig } from './config.js';

export const voicenterIngest: IngestSpec<VoicenterConfig> = {
  accept(body, contentType) {
    const decoded = decodeBody(body, contentType);
    const ct = contentType || 'application/octet-stream';
    if (decoded.kind === 'xmlrpc') {
      return [{ key: xmlRpcCallId(decoded.text), body, content_type: ct, meta: { endpoint: 'notification' } }];
    }
    const payload = (item: VoicenterItem, bytes: Buffer, type: string): RawPayload => {
      const f = new ItemFields(item);
      // A Call Log item posted here (or given to `callhouse transform`) keeps its own shape.
      return {
        key: f.text('ivruniqueid', 'CallID'),
        body: bytes,
        content_type: type,
        meta: { endpoint: shapeOf(f, {}) },
      };
    };
    if (decoded.items.length === 1) return [payload(decoded.items[0]!, body, ct)];
    // Several CDRs in one body: one payload each, so that every call has its own key.
    return decoded.items.map((item) => payload(item, Buffer.from(JSON.stringify(item), 'utf8'), 'application/json'));
  },
  ok: () => ({
    status: 200,
    body: { Err: 0, Errdesc: 'OK' },
    contentType: 'application/json',
  }),
  rejected: (_config, reason) => ({
    status: 400,
    body: { Err: 1, Errdesc: reason.slice(0, 200) },
    contentType: 'application/json',
  }),
};
