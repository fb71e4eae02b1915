/**
 * Calls as the PBX reports them live to its webhook: 30011 call status while a call rings and is
 * answered, then 30012 Call End Details (msg a JSON-encoded string, empty fields a single space,
 * as in the vendor's sample) and, for calls that went through a queue, 30039 Call End Timeline
 * with one record per leg. Times are the PBX's local wall clock without offset.
 */
import { DateTime } from 'luxon';
import { EXTENSIONS, QUEUES, TRUNKS, hash32, intBetween, prng } from './directory.js';

export interface CallEventOptions {
  seed?: number;
  /** How many calls. */
  count: number;
  /** The PBX's time zone: the times in the events are its wall clock. */
  timezone?: string;
  /** First call's start; the calls follow over the next hours. Default: yesterday 08:00 local. */
  start?: DateTime;
  sn?: string;
}

export interface SimulatedCall {
  uid: string;
  direction: 'inbound' | 'outbound' | 'internal';
  status: string;
  /** The event bodies, in the order the PBX posts them. */
  bodies: string[];
}

const STATUSES = ['ANSWERED', 'ANSWERED', 'ANSWERED', 'ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'VOICEMAIL'];
const SPACE = ' ';

function mobile(rand: () => number): string {
  return `+86 138 ${intBetween(rand, 1000, 9999)} ${intBetween(rand, 1000, 9999)}`;
}

export function buildCallEvents(opts: CallEventOptions): SimulatedCall[] {
  const rand = prng((opts.seed ?? 1) * 7919 + 30012);
  const zone = opts.timezone ?? 'UTC';
  const sn = opts.sn ?? '3631A2124XXX';
  let t = opts.start ?? DateTime.now().setZone(zone).minus({ days: 1 }).set({ hour: 8, minute: 0, second: 0 });
  t = t.setZone(zone).startOf('second');
  const calls: SimulatedCall[] = [];
  for (let i = 0; i < opts.count; i++) {
    t = t.plus({ seconds: intBetween(rand, 60, 900) });
    const direction = (['inbound', 'inbound', 'outbound', 'internal'] as const)[intBetween(rand, 0, 3)]!;
    const status = STATUSES[intBetween(rand, 0, STATUSES.length - 1)]!;
    const ext = EXTENSIONS[intBetween(rand, 0, EXTENSIONS.length - 1)]!.number;
    const trunk = TRUNKS[0]!;
    const outside = mobile(rand);
    const queue = direction === 'inbound' && rand() < 0.4 ? QUEUES[intBetween(rand, 0, QUEUES.length - 1)]! : undefined;
    const from = direction === 'inbound' ? outside : ext;
    const to =
      direction === 'inbound'
        ? (queue?.number ?? ext)
        : direction === 'outbound'
          ? outside
          : EXTENSIONS[intBetween(rand, 0, EXTENSIONS.length - 1)]!.number;
    const ring = intBetween(rand, 2, 25);
    const talk = status === 'ANSWERED' ? intBetween(rand, 5, 600) : 0;
    const epoch = Math.floor(t.toSeconds());
    const callId = `${epoch}.${100 + i}`;
    const uid = `${t.toFormat('yyyyMMddHHmmss')}${(hash32(callId) & 0xfffff).toString(16).toUpperCase().padStart(5, '0')}`;
    const trunkName = direction === 'internal' ? SPACE : trunk.name;
    const channel = (who: string) =>
      `PJSIP/${who.replace(/\D/g, '').slice(-4)}-${(i + 16).toString(16).padStart(8, '0')}`;
    const party = (state: string) => [
      { extension: { number: ext, channel_id: channel(ext), member_status: state, call_path: '' } },
      direction === 'internal'
        ? { extension: { number: to, channel_id: channel(to), member_status: state, call_path: '' } }
        : {
            [direction]: {
              from,
              to,
              trunk_name: trunk.name,
              channel_id: `PJSIP/${trunk.name}-${i.toString(16).padStart(8, '0')}`,
              member_status: state,
            },
          },
    ];
    const event = (type: number, msg: unknown) => JSON.stringify({ type, sn, msg: JSON.stringify(msg) });
    const bodies = [event(30011, { call_id: callId, members: party('RING') })];
    if (talk > 0) bodies.push(event(30011, { call_id: callId, members: party('ANSWERED') }));
    bodies.push(
      event(30012, {
        call_id: callId,
        time_start: t.toFormat('yyyy-MM-dd HH:mm:ss'),
        call_from: from,
        call_to: to,
        call_duration: ring + talk,
        talk_duration: talk,
        src_trunk_name: direction === 'inbound' ? trunkName : SPACE,
        dst_trunk_name: direction === 'outbound' ? trunkName : SPACE,
        pin_code: SPACE,
        status,
        type: direction,
        recording: talk > 0 ? `${t.toFormat('yyyyMMddHHmmss')}-${callId}-${from}-${to}-${direction}.wav` : SPACE,
        did_number: direction === 'inbound' ? trunk.dids[0]! : SPACE,
        agent_ring_time: queue ? ring : 0,
        uid,
      }),
    );
    if (queue) {
      // The caller's leg into the queue, then the agent's leg.
      const legs = [
        { leg: 1, from, to: queue.number, trunk: trunk.name, ring: 0, talk: ring + talk, status: 'ANSWERED' },
        { leg: 2, from: queue.number, to: ext, trunk: '', ring, talk, status },
      ];
      for (const l of legs) {
        const begin = t.plus({ seconds: l.leg === 1 ? 0 : 1 });
        bodies.push(
          event(30039, {
            uid,
            cdr_id: `${begin.toFormat('yyyyMMddHHmmss')}-${uid.slice(-5)}${l.leg}`,
            transaction_id: String(31000 + i),
            leg: l.leg,
            time_start: begin.toFormat('yyyy/MM/dd HH:mm:ss'),
            call_type: l.leg === 1 ? 'Inbound' : 'Internal',
            call_from: l.from,
            call_to: l.to,
            src_trunk: l.trunk,
            dst_trunk: '',
            status: l.status,
            call_duration: l.ring + l.talk,
            ring_duration: l.ring,
            talk_duration: l.talk,
            hold_duration: 0,
            event_list: [],
          }),
        );
      }
    }
    calls.push({ uid, direction, status, bodies });
  }
  return calls;
}

/** POSTs the calls' events to a webhook, a few calls at once, each call's events in order. */
export async function postCallEvents(
  target: string,
  opts: CallEventOptions & { concurrency?: number },
): Promise<{ calls: number; posted: number; failed: number }> {
  const calls = buildCallEvents(opts);
  let posted = 0;
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let c = calls[next++]; c; c = calls[next++]) {
      for (const body of c.bodies) {
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'Yeastar' },
          body,
        }).catch(() => undefined);
        if (res?.ok) posted++;
        else failed++;
        await res?.body?.cancel();
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  return { calls: calls.length, posted, failed };
}
