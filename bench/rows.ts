/**
 * Canonical call rows for the sink and raw-insert stages: NewCdr reports of realistic flows run
 * through the real normaliser, then repeated with distinct call ids to any count.
 */
import type { Config } from '../runtime/config.js';
import { normaliseReceipt } from '../runtime/roles/transform.js';
import type { CallRecord } from '../transforms/core/model.js';
import { nowCh } from '../transforms/core/times.js';
import { yeastarBodies } from './bodies.js';

export function baseCalls(config: Config, flows = 2000): CallRecord[] {
  const ys = config.connectors[0]!;
  const out: CallRecord[] = [];
  const received = nowCh();
  for (const b of yeastarBodies(flows, 7)) {
    if (!b.cdr) continue;
    const receipt = {
      id: b.cdr,
      connector_id: ys.id,
      type: ys.type,
      tenant: ys.tenant,
      received_at: received,
      content_type: 'application/json',
      meta: {},
      key: b.cdr,
      body: Buffer.from(b.body),
    };
    out.push(...normaliseReceipt(receipt, ys, () => undefined, received).calls);
  }
  return out;
}

/** The i-th row of an endless sequence of distinct calls built from `base`. */
export function callAt(base: CallRecord[], i: number): CallRecord {
  const r = base[i % base.length]!;
  return { ...r, call_id: `${r.call_id}-${Math.floor(i / base.length)}` };
}
