/**
 * Plays realistic call flows as a Yeastar S PBX would report them: each call's reports in order,
 * ending with its NewCdr, POSTed one per short-lived connection (`Content-Type: application/json`,
 * `User-Agent: WebAPI`). A report that does not get a 200 is sent again, as the PBX does.
 */
import { request } from 'node:http';
import { DateTime } from 'luxon';
import { encodeReport, type Party, type Report, type Shape, type TrunkSide } from './encode.js';
import { Prng } from './prng.js';

export const FLOW_KINDS = ['internal', 'inbound', 'outbound', 'transfer', 'failed', 'ivr', 'survey'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

/** Every CallFailed reason the guides list; the OpenVox clone's integer 480 is sent in 1.0.2. */
export const FAILURE_REASONS: Array<string | number> = [
  'NO Outbound Restriction',
  'DND',
  'Line unreachable',
  'User busy',
  '404 NOT found',
  '480 Temporarily unavailable',
  '484 Address Incomplete',
  '486 Busy Here',
  '487 Request Terminated',
  '603 Declined',
  480,
];
const BUSY_REASONS = new Set(['DND', 'User busy', '486 Busy Here', '603 Declined']);

export interface PlayOptions {
  /** Ingest URL (token included) the PBX POSTs to. */
  target: string;
  count: number;
  seed: number;
  shape: Shape | 'mixed';
  /** Share of reports sent twice (as when the PBX missed our 200). */
  resendRate?: number;
  /** PBX wall-clock zone of `timestart`. */
  timezone?: string;
  /** Epoch (s) of the first call. */
  startEpoch?: number;
  sn?: string;
}

export interface SentReport {
  flow: number;
  kind: FlowKind;
  shape: Shape;
  callid: string;
  action: string;
  body: string;
  /** True for the second copy of a resent report. */
  resend: boolean;
  status: number;
}

/** What the flow's NewCdr says: tests compare normalised calls against it. */
export interface PlayedCall {
  callid: string;
  kind: FlowKind;
  shape: Shape;
  epoch: number;
  timestart: string;
  callfrom: string;
  callto: string;
  status: string;
  type: string;
  trunk: string;
  total: number;
  talk: number;
}

export interface PlayResult {
  sent: SentReport[];
  calls: PlayedCall[];
}

const EXTENSIONS = ['1000', '1001', '1002', '1003', '1004', '1005', '1006', '1007'];
const TRUNKS = ['sip-142', 'BT-SIP'];

/** Builds the reports of `count` flows without sending them. */
export function buildFlows(opts: Omit<PlayOptions, 'target'>): Array<{ call: PlayedCall; reports: Report[] }> {
  const rng = new Prng(opts.seed);
  const zone = opts.timezone ?? 'Europe/London';
  let epoch = opts.startEpoch ?? 1_717_228_800;
  let seq = 100;
  const flows: Array<{ call: PlayedCall; reports: Report[] }> = [];
  for (let n = 0; n < opts.count; n++) {
    epoch += rng.int(20, 400);
    const kind = FLOW_KINDS[n % FLOW_KINDS.length]!;
    const shape: Shape = opts.shape === 'mixed' ? rng.pick(['v1', '1.0.2', 'v2'] as const) : opts.shape;
    const callid = `${epoch}.${seq}`;
    seq += 2;
    const timestart = DateTime.fromSeconds(epoch, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
    flows.push(flowOf(rng, kind, shape, n, { callid, epoch, timestart }));
  }
  return flows;
}

function flowOf(
  rng: Prng,
  kind: FlowKind,
  shape: Shape,
  n: number,
  at: { callid: string; epoch: number; timestart: string },
) {
  const [a, b, c] = threeExtensions(rng);
  const trunk = rng.pick(TRUNKS);
  const outside = `0207946${rng.digits(4)}`;
  const did = `0203000${rng.digits(4)}`;
  const leg = (id: number): string => `${at.epoch}.${Number(at.callid.split('.')[1]) + id}`;
  const inbound: Party = { inbound: { from: outside, to: did, trunk, id: at.callid } satisfies TrunkSide };
  const outbound: Party = { outbound: { from: a, to: outside, trunk, id: leg(1) } satisfies TrunkSide };
  const r = (action: string, parties: Party[], extra: Array<[string, string | number]> = []): Report => ({
    action,
    callid: at.callid,
    parties,
    extra,
  });
  const ext = (e: string): Party => ({ ext: e });
  const talk = rng.int(5, 600);
  const ring = rng.int(1, 25);
  const reports: Report[] = [];
  let cdr: {
    from: string;
    to: string;
    status: string;
    type: string;
    trunk: string;
    total: number;
    talk: number;
    extra?: Array<[string, string]>;
  };
  const hangup = (x: Party, y: Party) => reports.push(r('BYE', [x, y]), r('BYE', [y, x]));

  switch (kind) {
    case 'internal': {
      const answered = rng.chance(0.7);
      reports.push(r('RING', [ext(a), ext(b)]), r('ALERT', [ext(b)]));
      if (answered) reports.push(r('ANSWER', [ext(b), ext(a)]), r('ANSWERED', [ext(a), ext(b)]));
      hangup(ext(a), ext(b));
      cdr = {
        from: a,
        to: b,
        status: answered ? 'ANSWERED' : 'NO ANSWER',
        type: 'Internal',
        trunk: '',
        total: ring + (answered ? talk : 0),
        talk: answered ? talk : 0,
      };
      break;
    }
    case 'inbound':
      reports.push(r('Incoming', [inbound]), r('ALERT', [inbound]), r('ANSWER', [ext(b), inbound]));
      hangup(inbound, ext(b));
      cdr = {
        from: outside,
        to: b,
        status: 'ANSWERED',
        type: 'Inbound',
        trunk,
        total: ring + talk,
        talk,
        extra: [['didnumber', did]],
      };
      break;
    case 'outbound':
      reports.push(r('RING', [outbound, ext(a)]), r('ANSWERED', [ext(a), outbound]));
      hangup(ext(a), outbound);
      cdr = { from: a, to: outside, status: 'ANSWERED', type: 'Outbound', trunk, total: ring + talk, talk };
      break;
    case 'transfer':
      reports.push(
        r('Incoming', [inbound]),
        r('ANSWER', [ext(b), inbound]),
        r('Tranfer', [inbound, ext(c)]),
        r('ANSWER', [ext(c), inbound]),
      );
      hangup(ext(c), inbound);
      cdr = {
        from: outside,
        to: c,
        status: 'ANSWERED',
        type: shape === 'v1' ? 'Transfer' : 'Inbound',
        trunk,
        total: ring + talk,
        talk,
      };
      break;
    case 'failed': {
      const reason = FAILURE_REASONS[Math.floor(n / FLOW_KINDS.length) % FAILURE_REASONS.length]!;
      // The integer reason is the OpenVox clone's, which speaks the 1.0.2 shape.
      const sent = typeof reason === 'number' && shape !== '1.0.2' ? String(reason) : reason;
      reports.push(r('CallFailed', [ext(a)], [['reason', sent]]));
      const status = BUSY_REASONS.has(String(reason)) ? 'BUSY' : 'FAILED';
      cdr = { from: a, to: b, status, type: 'Internal', trunk: '', total: 0, talk: 0 };
      break;
    }
    case 'ivr': {
      reports.push(r('Incoming', [inbound]), r('PlayPromptEnd', [inbound], [['prompt', 'welcome']]));
      const keys = rng.pick(['1', '12', '123', '1#']).split('');
      keys.forEach((key, i) => {
        const extra: Array<[string, string]> = [['info', key]];
        if (shape === 'v2') extra.push(['infos', keys.slice(0, i + 1).join('')], ['flag', String(i + 1)]);
        reports.push(r('DTMF', [inbound], extra));
      });
      reports.push(r('ANSWER', [ext(b), inbound]));
      hangup(inbound, ext(b));
      cdr = { from: outside, to: b, status: 'ANSWERED', type: 'Inbound', trunk, total: ring + talk, talk };
      break;
    }
    case 'survey':
      reports.push(r('Incoming', [inbound]), r('ANSWER', [ext(b), inbound]));
      hangup(ext(b), inbound);
      reports.push(r('satisfaction', [], [['surveyresult', String(rng.int(1, 5))]]));
      cdr = { from: outside, to: b, status: 'ANSWERED', type: 'Inbound', trunk, total: ring + talk, talk };
      break;
  }

  const trunkField: Array<[string, string]> =
    cdr.trunk === '' ? [] : [[cdr.type === 'Outbound' ? 'desttrunkname' : 'srctrunkname', cdr.trunk]];
  const recording =
    cdr.talk > 0
      ? [
          ['recording', `${at.timestart.replace(/\D/g, '')}-${at.callid}-${cdr.from}-${cdr.to}-${cdr.type}.wav`] as [
            string,
            string,
          ],
        ]
      : [];
  reports.push(
    r(
      'NewCdr',
      [],
      [
        ['timestart', at.timestart],
        ['callfrom', cdr.from],
        ['callto', cdr.to],
        ...trunkField,
        ['callduraction', String(cdr.total)],
        ['talkduraction', String(cdr.talk)],
        ['status', cdr.status],
        ['type', cdr.type],
        ...recording,
        ...(cdr.extra ?? []),
      ],
    ),
  );
  const call: PlayedCall = {
    callid: at.callid,
    kind,
    shape,
    epoch: at.epoch,
    timestart: at.timestart,
    callfrom: cdr.from,
    callto: cdr.to,
    status: cdr.status,
    type: cdr.type,
    trunk: cdr.trunk,
    total: cdr.total,
    talk: cdr.talk,
  };
  return { call, reports };
}

function threeExtensions(rng: Prng): [string, string, string] {
  const pool = [...EXTENSIONS];
  const take = () => pool.splice(rng.int(0, pool.length - 1), 1)[0]!;
  return [take(), take(), take()];
}

/** Plays the flows to `target`, one report at a time, and returns what was sent. */
export async function playFlows(opts: PlayOptions): Promise<PlayResult> {
  const rng = new Prng(opts.seed ^ 0x5eed);
  const sn = opts.sn ?? '369362089179';
  const sent: SentReport[] = [];
  const flows = buildFlows(opts);
  for (const [flow, { call, reports }] of flows.entries()) {
    for (const report of reports) {
      const body = encodeReport(report, call.shape, sn);
      const copies = rng.chance(opts.resendRate ?? 0) ? 2 : 1;
      for (let copy = 0; copy < copies; copy++) {
        const status = await postUntilOk(opts.target, body);
        sent.push({
          flow,
          kind: call.kind,
          shape: call.shape,
          callid: call.callid,
          action: report.action,
          body,
          resend: copy > 0,
          status,
        });
      }
    }
  }
  return { sent, calls: flows.map((f) => f.call) };
}

/** The PBX resends a report until it gets a 200; here up to three attempts. */
async function postUntilOk(target: string, body: string): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 3 && status !== 200; attempt++) status = await post(target, body);
  return status;
}

function post(target: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'WebAPI',
          Connection: 'close',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
