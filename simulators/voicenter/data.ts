/**
 * Deterministic Voicenter call data: any UTC day's CDRs follow from (seed, day) alone, so tests
 * can recompute what the simulator serves. Records carry every Call Log field, in the response's
 * PascalCase; the server projects them onto the requested fields.
 */
import { prng } from '../core/prng.js';
export { prng };

export interface SimCdr {
  /** All Call Log fields, keys as the API answers them. */
  record: Record<string, unknown>;
  epoch: number;
  /** Seconds in a queue before ringing (queue types only); the Call Log does not expose it. */
  queueWait: number | null;
}

export const DIAL_STATUSES = [
  'ANSWER',
  'NOANSWER',
  'BUSY',
  'CANCEL',
  'ABANDONE',
  'TIMEOUT',
  'FULL',
  'EXIT',
  'JOINEMPTY',
  'VOEND',
  'TE',
  'NOTCALLED',
  'VOICEMAIL',
  'NOTDIALED',
  'CONGESTION',
  'CHANUNAVAIL',
] as const;

export const SIM_TYPES: Record<number, string> = {
  1: 'Incoming Call',
  4: 'Extension Outgoing',
  8: 'Queue',
  9: 'Click2Call leg1',
  10: 'Click2Call leg2',
  11: 'VoiceMail',
  13: 'XferCDR',
  14: 'ProductiveCall Leg1',
  15: 'ProductiveCall Leg2',
  17: 'Click 2 IVR',
  18: 'Click 2 IVR Incoming',
  19: 'Click 2 Queue Incoming',
  21: 'Attended CDR leg1',
  22: 'Attended CDR leg2',
  23: 'Auto forward',
};

const AGENTS = [
  { name: 'ישראל ישראלי', code: '1001', ext: 'AAPINFzL' },
  { name: 'דנה כהן', code: '1002', ext: 'SIPSIP1' },
  { name: 'משה לוי', code: '1003', ext: 'KLm3Qa7x' },
  { name: 'John Doe', code: '87654321', ext: 'Rt5vNw2p' },
  { name: 'Walter Melon', code: '9996', ext: 'Zq8HcB4d' },
];
const QUEUES = [
  { name: 'תור מכירות', id: 123456789 },
  { name: 'Service Queue', id: 12345 },
  { name: 'תמיכה טכנית', id: 777001 },
];
const DIDS = ['0722776772', '0733456789'];
const COMPANY_NUMBER = '0722776772';
const DEPARTMENTS = [
  { name: 'מכירות', id: 5501 },
  { name: 'Voicenter Sales', id: 12345678 },
];

function daySeed(seed: number, day: string): number {
  let h = 2166136261 ^ seed;
  for (const ch of day) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

type Kind =
  | 'incoming'
  | 'outgoing'
  | 'queue'
  | 'click2call'
  | 'voicemail'
  | 'xfer'
  | 'productive'
  | 'click2ivr'
  | 'click2queue'
  | 'attended'
  | 'forward';
const KINDS: Kind[] = [
  'incoming',
  'incoming',
  'outgoing',
  'outgoing',
  'queue',
  'queue',
  'click2call',
  'voicemail',
  'xfer',
  'productive',
  'click2ivr',
  'click2queue',
  'attended',
  'forward',
];

/** The CDRs of one UTC day (`YYYY-MM-DD`), in time order; some spill a little past midnight. */
export function cdrsOfDay(seed: number, day: string, callsPerDay: number): SimCdr[] {
  const rnd = prng(daySeed(seed, day));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const dayStart = Date.parse(`${day}T00:00:00Z`) / 1000;
  const starts = Array.from({ length: callsPerDay }, () => dayStart + int(0, 86_399)).sort((a, b) => a - b);
  const mobile = (): string =>
    rnd() < 0.5
      ? `05${int(0, 8)}${String(int(0, 9_999_999)).padStart(7, '0')}`
      : `9725${int(0, 8)}${String(int(0, 9_999_999)).padStart(7, '0')}`;
  const out: SimCdr[] = [];
  let serial = 0;
  const newId = (epoch: number): string => {
    const stamp = new Date(epoch * 1000).toISOString().replace(/\D/g, '').slice(0, 14);
    serial += 1;
    return `${stamp}${String(serial).padStart(4, '0')}${Math.floor(rnd() * 0xffffffff)
      .toString(16)
      .padStart(8, '0')}`;
  };

  interface Leg {
    id: string;
    epoch: number;
    type: number;
    status: string;
    caller: string;
    target: string;
    callerExt?: string;
    targetExt?: string;
    did?: string;
    queue?: (typeof QUEUES)[number];
    agent?: (typeof AGENTS)[number];
    ring: number;
    talk: number;
    wait?: number;
    original?: string;
    price?: number;
  }
  const push = (l: Leg): void => {
    const answered = l.status === 'ANSWER' || l.status === 'VOICEMAIL';
    const dept = pick(DEPARTMENTS);
    const record: Record<string, unknown> = {
      CallerNumber: l.caller,
      TargetNumber: l.target,
      Date: new Date(l.epoch * 1000).toISOString().replace('.000Z', 'Z'),
      DateEpoch: l.epoch,
      Duration: l.talk,
      CallID: l.id,
      Type: SIM_TYPES[l.type],
      CdrType: l.type,
      DialStatus: l.status,
      DialStatus2: '',
      TargetExtension: l.targetExt ?? '',
      CallerExtension: l.callerExt ?? '',
      DID: l.did ?? '',
      QueueName: l.queue?.name ?? '',
      RecordURL: answered && l.talk > 0 ? `https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/${l.id}-aws.mp3` : '',
      RecordExpect: answered && l.talk > 0 ? 1 : 0,
      Price: l.price ?? 0,
      RingTime: l.ring,
      RepresentativeName: l.agent?.name ?? '',
      RepresentativeCode: l.agent?.code ?? '',
      UserName: l.agent?.name ?? '',
      UserId: l.agent ? Number(l.agent.code) : 0,
      DTMFData: [],
      CustomData: l.original ? { OriginalIvrUniqueID: l.original } : {},
      DepartmentName: dept.name,
      DepartmentId: dept.id,
      TargetPrefixName: /^(05|9725)/.test(l.target) ? 'Israel Mobile' : '',
    };
    out.push({ record, epoch: l.epoch, queueWait: l.wait ?? null });
  };
  const talkFor = (status: string): number =>
    status === 'ANSWER' ? int(3, 900) : status === 'VOICEMAIL' ? int(5, 60) : 0;
  const outPrice = (status: string, talk: number): number =>
    status === 'ANSWER' ? Math.ceil(talk / 60) * int(7, 25) : 0;

  for (const epoch of starts) {
    const kind = pick(KINDS);
    const agent = pick(AGENTS);
    const other = pick(AGENTS.filter((a) => a !== agent));
    const id = newId(epoch);
    switch (kind) {
      case 'incoming': {
        const status = pick([
          'ANSWER',
          'ANSWER',
          'ANSWER',
          'NOANSWER',
          'BUSY',
          'CANCEL',
          'VOEND',
          'TE',
          'NOTDIALED',
          'CONGESTION',
          'CHANUNAVAIL',
        ]);
        const reached = ['ANSWER', 'NOANSWER', 'BUSY', 'CANCEL'].includes(status);
        push({
          id,
          epoch,
          type: 1,
          status,
          caller: mobile(),
          target: reached ? agent.ext : '',
          targetExt: reached ? agent.ext : '',
          did: pick(DIDS),
          agent: reached ? agent : undefined,
          ring: reached ? int(1, 30) : 0,
          talk: talkFor(status),
        });
        break;
      }
      case 'outgoing': {
        const status = pick([
          'ANSWER',
          'ANSWER',
          'ANSWER',
          'NOANSWER',
          'BUSY',
          'CANCEL',
          'CONGESTION',
          'CHANUNAVAIL',
          'NOTDIALED',
        ]);
        const talk = talkFor(status);
        const target = rnd() < 0.2 ? `03${String(int(0, 9_999_999)).padStart(7, '0')}` : mobile();
        push({
          id,
          epoch,
          type: 4,
          status,
          caller: COMPANY_NUMBER,
          target,
          callerExt: agent.ext,
          agent,
          ring: int(0, 40),
          talk,
          price: outPrice(status, talk),
        });
        break;
      }
      case 'queue':
      case 'click2queue': {
        const status = pick(['ANSWER', 'ANSWER', 'ANSWER', 'ABANDONE', 'TIMEOUT', 'FULL', 'EXIT', 'JOINEMPTY']);
        const ok = status === 'ANSWER';
        const queue = pick(QUEUES);
        const inbound = kind === 'queue';
        const talk = talkFor(status);
        push({
          id,
          epoch,
          type: inbound ? 8 : 19,
          status,
          caller: inbound ? mobile() : COMPANY_NUMBER,
          target: inbound ? (ok ? agent.ext : '') : mobile(),
          targetExt: ok ? agent.ext : '',
          did: inbound ? pick(DIDS) : '',
          queue,
          agent: ok ? agent : undefined,
          ring: ok ? int(1, 20) : 0,
          talk,
          wait: status === 'JOINEMPTY' || status === 'FULL' ? 0 : int(1, 240),
          price: inbound ? 0 : outPrice(status, talk),
        });
        break;
      }
      case 'voicemail':
        push({
          id,
          epoch,
          type: 11,
          status: 'VOICEMAIL',
          caller: mobile(),
          target: agent.ext,
          targetExt: agent.ext,
          did: pick(DIDS),
          ring: int(10, 30),
          talk: talkFor('VOICEMAIL'),
        });
        break;
      case 'click2call':
      case 'productive':
      case 'click2ivr': {
        const [t1, t2] = kind === 'click2call' ? [9, 10] : kind === 'productive' ? [14, 15] : [17, 18];
        const s1 = pick(['ANSWER', 'ANSWER', 'NOANSWER']);
        const ring1 = int(1, 15);
        push({
          id,
          epoch,
          type: t1,
          status: s1,
          caller: COMPANY_NUMBER,
          target: agent.ext,
          targetExt: agent.ext,
          agent,
          ring: ring1,
          talk: 0,
        });
        const s2 = s1 === 'ANSWER' ? pick(['ANSWER', 'ANSWER', 'NOANSWER', 'BUSY', 'CANCEL']) : 'NOTCALLED';
        const talk2 = talkFor(s2);
        push({
          id,
          epoch: epoch + ring1,
          type: t2,
          status: s2,
          caller: COMPANY_NUMBER,
          target: mobile(),
          callerExt: agent.ext,
          agent,
          ring: s2 === 'NOTCALLED' ? 0 : int(1, 25),
          talk: talk2,
          price: outPrice(s2, talk2),
        });
        break;
      }
      case 'xfer':
      case 'attended': {
        const caller = mobile();
        const ring = int(1, 10);
        const talk = int(20, 300);
        push({
          id,
          epoch,
          type: 1,
          status: 'ANSWER',
          caller,
          target: agent.ext,
          targetExt: agent.ext,
          did: pick(DIDS),
          agent,
          ring,
          talk,
        });
        const at = epoch + ring + int(5, talk - 5);
        const xid = newId(at);
        if (kind === 'xfer') {
          const toCell = rnd() < 0.5;
          const status = pick(['ANSWER', 'NOANSWER']);
          push({
            id: xid,
            epoch: at,
            type: 13,
            status,
            caller,
            target: toCell ? mobile() : other.ext,
            targetExt: toCell ? '' : other.ext,
            agent: other,
            ring: int(1, 20),
            talk: talkFor(status),
            original: id,
          });
        } else {
          const consult = int(5, 60);
          push({
            id: xid,
            epoch: at,
            type: 21,
            status: 'ANSWER',
            caller: agent.ext,
            target: other.ext,
            callerExt: agent.ext,
            targetExt: other.ext,
            agent,
            ring: int(1, 8),
            talk: consult,
            original: id,
          });
          push({
            id: xid,
            epoch: at + consult,
            type: 22,
            status: 'ANSWER',
            caller,
            target: other.ext,
            targetExt: other.ext,
            agent: other,
            ring: 0,
            talk: int(10, 400),
            original: id,
          });
        }
        break;
      }
      case 'forward': {
        const status = pick(['ANSWER', 'NOANSWER', 'BUSY']);
        const talk = talkFor(status);
        push({
          id,
          epoch,
          type: 23,
          status,
          caller: mobile(),
          target: mobile(),
          callerExt: '',
          agent,
          did: pick(DIDS),
          ring: int(1, 30),
          talk,
          price: outPrice(status, talk),
        });
        break;
      }
    }
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}
