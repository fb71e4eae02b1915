/**
 * The transform's CPU alone, without Kafka: decode + normalise + encode of Yeastar S report bodies,
 * in a loop. The ceiling of the transform role on one core.
 *   npx tsx bench/normalise.ts [--records N]
 */
import { decodeRaw, encodeCall, encodeEvent, encodeRaw } from '../runtime/codec.js';
import { validateConfig } from '../runtime/config.js';
import type { InMessage } from '../runtime/kafka.js';
import { normaliseReceipt } from '../runtime/roles/transform.js';
import { yeastarBodies } from './bodies.js';

const i = process.argv.indexOf('--records');
const RECORDS = i > 0 ? Number(process.argv[i + 1]) : 200_000;
const config = validateConfig({
  connectors: [
    { id: 'bench-ys', type: 'yeastar-s', timezone: 'Europe/London', country: 'GB', token: 'bench-token-0001' },
  ],
});
const ys = config.connectors[0]!;
const messages: InMessage[] = yeastarBodies(200, 7).map((b, n) => {
  const out = encodeRaw({ key: '', body: Buffer.from(b.body), content_type: 'application/json', meta: {} }, ys);
  return {
    topic: 'raw',
    partition: 0,
    offset: String(n),
    key: out.key ?? null,
    value: Buffer.from(out.value),
    headers: out.headers ?? {},
    timestamp: '0',
  };
});

export function normaliseRate(records: number): number {
  let outputs = 0;
  const t = performance.now();
  for (let n = 0; n < records; n++) {
    const receipt = decodeRaw(messages[n % messages.length]!);
    const out = normaliseReceipt(receipt, ys, () => undefined, '2026-01-01 00:00:00.000');
    for (const r of out.calls) outputs += encodeCall(r).value.length > 0 ? 1 : 0;
    for (const r of out.events) outputs += encodeEvent(r).value.length > 0 ? 1 : 0;
  }
  const s = (performance.now() - t) / 1000;
  if (outputs === 0) throw new Error('no outputs');
  return Math.round(records / s);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  normaliseRate(20_000); // warm-up
  console.log(JSON.stringify({ normalise_records_per_s_one_core: normaliseRate(RECORDS) }));
}
