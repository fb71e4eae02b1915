/**
 * Realistic Yeastar S report bodies, built with the simulator's own flow builder and encoder:
 * every flow kind and all three body shapes, in call order (ring, answer, hangup, NewCdr).
 */
import { buildFlows } from '../simulators/yeastar-s/flows.js';
import { encodeReport } from '../simulators/yeastar-s/encode.js';

export interface BenchBody {
  body: string;
  /** The call id when this report is the call's NewCdr (the one that makes a row in `calls`). */
  cdr?: string;
}

export function yeastarBodies(flows: number, seed: number, startEpoch = 1_717_228_800): BenchBody[] {
  const out: BenchBody[] = [];
  for (const { call, reports } of buildFlows({ count: flows, seed, shape: 'mixed', startEpoch })) {
    for (const r of reports) {
      const body = encodeReport(r, call.shape, '369362089179');
      out.push(r.action === 'NewCdr' ? { body, cdr: call.callid } : { body });
    }
  }
  return out;
}

export function meanBytes(bodies: BenchBody[]): number {
  return Math.round(bodies.reduce((n, b) => n + Buffer.byteLength(b.body), 0) / Math.max(1, bodies.length));
}
