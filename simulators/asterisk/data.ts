/**
 * Calls as an Asterisk PBX (chan_pjsip, one trunk `trunk-gb`, extensions 1001–1006) writes them
 * to Master.csv: one row per Party A/Party B pair, every text field quoted, numbers bare, times
 * local without offset. Each call knows what callhouse should make of it (`truth`).
 */
import { DateTime } from 'luxon';

export const SIM_TRUNK = 'trunk-gb';
export const EXTENSIONS = ['1001', '1002', '1003', '1004', '1005', '1006'] as const;
const NAMES = ['Smith, John', 'Alice', 'O"Brien', 'Zoë Müller', 'Bob'];

export type SimRow = Record<string, string>;
export interface SimCall {
  kind: 'inbound' | 'ringgroup' | 'transfer' | 'outbound' | 'internal' | 'queue' | 'voicemail';
  linkedid: string;
  rows: SimRow[];
  /** Index in `rows` of the call (leg 0); every other row is a leg 1 record. */
  callRow: number;
  direction: 'inbound' | 'outbound' | 'internal';
  trunk: string;
}

export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

export interface GenState {
  prng: Prng;
  /** Next call's start (epoch ms). */
  at: number;
  /** uniqueid counter and CDR sequence counter, as Asterisk keeps them. */
  counter: number;
  sequence: number;
  channel: number;
  zone: string;
}

const EXT_DISPOSITIONS = ['ANSWERED', 'ANSWERED', 'ANSWERED', 'NO ANSWER', 'BUSY'] as const;
const OUT_DISPOSITIONS = ['ANSWERED', 'ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CONGESTION'] as const;

/** The next call, starting a little after the previous one. */
export function nextCall(g: GenState): SimCall {
  const p = g.prng;
  g.at += p.int(20, 400) * 1000;
  const kinds: SimCall['kind'][] = [
    'inbound',
    'inbound',
    'ringgroup',
    'transfer',
    'outbound',
    'outbound',
    'internal',
    'queue',
    'voicemail',
  ];
  const kind = p.pick(kinds);
  const uid = () => `${Math.floor(g.at / 1000)}.${g.counter++}`;
  const chan = (peer: string) => `PJSIP/${peer}-${(g.channel++).toString(16).padStart(8, '0')}`;
  const linkedid = uid();
  const external = `020794${String(p.int(0, 99999)).padStart(5, '0')}`;
  const mobile = `07700${String(p.int(900000, 900999))}`;
  const name = p.pick(NAMES);
  const ext = p.pick(EXTENSIONS);
  const other = EXTENSIONS[(EXTENSIONS.indexOf(ext) + p.int(1, 5)) % EXTENSIONS.length]!;
  type RowSpec = { start: number; ring: number; talk: number; disposition: string } & { [k: string]: string | number };
  const row = (f: RowSpec, uniqueid = linkedid): SimRow => {
    const answered = f.disposition === 'ANSWERED';
    const duration = f.ring + f.talk;
    const { start, ring, talk, ...rest } = f;
    void talk;
    const text = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)]));
    return {
      accountcode: '',
      src: '',
      dst: '',
      dcontext: 'from-internal',
      clid: '',
      channel: '',
      dstchannel: '',
      lastapp: 'Dial',
      lastdata: '',
      ...text,
      start: local(start, g.zone),
      answer: answered ? local(start + ring * 1000, g.zone) : '',
      end: local(start + duration * 1000, g.zone),
      duration: String(duration),
      billsec: String(answered ? f.talk : 0),
      amaflags: 'DOCUMENTATION',
      uniqueid,
      userfield: '',
      linkedid,
      sequence: String(g.sequence++),
    };
  };
  const t0 = g.at;
  const ring = p.int(2, 25);
  const talk = p.int(5, 600);
  const inCaller = {
    src: external,
    clid: `"${name}" <${external}>`,
    channel: chan(SIM_TRUNK),
    dcontext: 'from-trunk',
    dst: '02079460000',
  };
  switch (kind) {
    case 'inbound': {
      const d = p.pick(EXT_DISPOSITIONS);
      return one(
        kind,
        linkedid,
        row({
          ...inCaller,
          dstchannel: chan(ext),
          lastdata: `PJSIP/${ext},30,tT`,
          start: t0,
          ring,
          talk: d === 'ANSWERED' ? talk : 0,
          disposition: d,
        }),
        'inbound',
        SIM_TRUNK,
      );
    }
    case 'ringgroup': {
      // Parallel dial: the fork that was not picked up is written first, then the answered one.
      const rows = [
        row({
          ...inCaller,
          dstchannel: chan(ext),
          lastdata: `PJSIP/${ext}&PJSIP/${other},30`,
          start: t0,
          ring,
          talk: 0,
          disposition: 'NO ANSWER',
        }),
        row({
          ...inCaller,
          dstchannel: chan(other),
          lastdata: `PJSIP/${ext}&PJSIP/${other},30`,
          start: t0,
          ring,
          talk,
          disposition: 'ANSWERED',
        }),
      ];
      return { kind, linkedid, rows, callRow: 1, direction: 'inbound', trunk: SIM_TRUNK };
    }
    case 'transfer': {
      const first = row({
        ...inCaller,
        dstchannel: chan(ext),
        lastdata: `PJSIP/${ext},30`,
        start: t0,
        ring,
        talk,
        disposition: 'ANSWERED',
      });
      const second = row(
        {
          src: ext,
          clid: `"Ext ${ext}" <${ext}>`,
          dst: other,
          channel: chan(ext),
          dstchannel: chan(other),
          lastdata: `PJSIP/${other},30`,
          start: t0 + (ring + 5) * 1000,
          ring: 4,
          talk: Math.max(1, talk - 10),
          disposition: 'ANSWERED',
        },
        uid(),
      );
      return { kind, linkedid, rows: [first, second], callRow: 0, direction: 'inbound', trunk: SIM_TRUNK };
    }
    case 'outbound': {
      const d = p.pick(OUT_DISPOSITIONS);
      const to = p.pick([mobile, external]);
      return one(
        kind,
        linkedid,
        row({
          src: ext,
          clid: `"Ext ${ext}" <${ext}>`,
          dst: to,
          channel: chan(ext),
          dstchannel: d === 'CONGESTION' ? '' : chan(SIM_TRUNK),
          lastdata: `PJSIP/${to}@${SIM_TRUNK},60`,
          start: t0,
          ring,
          talk: d === 'ANSWERED' ? talk : 0,
          disposition: d,
        }),
        'outbound',
        SIM_TRUNK,
      );
    }
    case 'internal': {
      const d = p.pick(EXT_DISPOSITIONS);
      return one(
        kind,
        linkedid,
        row({
          src: ext,
          clid: `"Ext ${ext}" <${ext}>`,
          dst: other,
          channel: chan(ext),
          dstchannel: chan(other),
          lastdata: `PJSIP/${other},20`,
          start: t0,
          ring,
          talk: d === 'ANSWERED' ? talk : 0,
          disposition: d,
        }),
        'internal',
        '',
      );
    }
    case 'queue': {
      const d = p.pick(['ANSWERED', 'ANSWERED', 'NO ANSWER'] as const);
      return one(
        kind,
        linkedid,
        row({
          ...inCaller,
          dst: '500',
          dstchannel: d === 'ANSWERED' ? chan(ext) : '',
          lastapp: 'Queue',
          lastdata: 'support,t,,,300',
          start: t0,
          ring,
          talk: d === 'ANSWERED' ? talk : 0,
          disposition: d,
        }),
        'inbound',
        SIM_TRUNK,
      );
    }
    case 'voicemail':
      return one(
        kind,
        linkedid,
        row({
          ...inCaller,
          dst: `vm${ext}`,
          lastapp: 'VoiceMail',
          lastdata: `${ext}@default,u`,
          start: t0,
          ring: 1,
          talk: p.int(5, 60),
          disposition: 'ANSWERED',
        }),
        'inbound',
        SIM_TRUNK,
      );
  }
}

function one(
  kind: SimCall['kind'],
  linkedid: string,
  r: SimRow,
  direction: SimCall['direction'],
  trunk: string,
): SimCall {
  return { kind, linkedid, rows: [r], callRow: 0, direction, trunk };
}

function local(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
}

const NUMERIC = new Set(['duration', 'billsec']);

/** One Master.csv line as cdr_csv writes it: text quoted (quotes doubled), numbers bare. */
export function csvLine(row: SimRow, columns: readonly string[]): string {
  return columns.map((c) => (NUMERIC.has(c) ? (row[c] ?? '0') : `"${(row[c] ?? '').replace(/"/g, '""')}"`)).join(',');
}
