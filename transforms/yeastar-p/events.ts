/**
 * P-Series event reports → canonical records.
 * - 30012 Call End Details: one `calls` row (leg 0) and a `cdr` event.
 * - 30039 Call End Timeline: one `calls` row per leg, parent_call_id = the call's uid. Every
 *   timeline leg is stored with leg = 1: the 30012 row (leg 0) is the call, and leg-1 records are
 *   kept in `calls` but never counted as attempts, so a call's legs never count it twice.
 * - 30011 call state (typed by its members' states), 30016 inbound invitation, 30017 DTMF, 30027
 *   report ready, and anything else: a call event (nothing is dropped).
 * The call's id is its `uid` where the PBX sends one (Cloud, and every 30039 leg and CDR record
 * carry it), else `call_id`: so the call row and its legs join on the same id.
 */
import type { DateTime } from 'luxon';
import { CallhouseError } from '../../runtime/errors.js';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import { buildCall, buildEvent, digest, dstObserver } from '../core/records.js';
import { emptyNormalised, type EventType, type Normalised } from '../core/model.js';
import { parseDuration, parseOptionalDuration } from '../core/durations.js';
import { callShape } from './call-shape.js';
import { parseTime, plusSeconds, type DisplayFormat } from '../core/times.js';
import { isObject, stableJson, text, type PEvent } from './event-body.js';

interface EventConfig {
  timezone?: string | undefined;
  country?: string | undefined;
  display_format?: string | undefined;
}

export function normaliseEvent(ev: PEvent, ctx: NormaliseContext): Normalised {
  switch (ev.type) {
    case 30012:
      return callEndDetails(ev, ctx);
    case 30039:
      return callEndTimeline(ev, ctx);
    default:
      return liveEvent(ev, ctx);
  }
}

/**
 * A local time of an event. `callId`: a 30012 `call_id` is `<epoch>.<n>` like the S-Series callid,
 * so its epoch (absolute) says which reading of a repeated hour the call started at.
 */
function timeOf(value: unknown, field: string, ctx: NormaliseContext, callId = ''): DateTime {
  const cfg = ctx.config as EventConfig & typeof ctx.config;
  if (text(value) === '') throw new CallhouseError('INVALID_VALUE', `${field}: missing`);
  const epoch = /^(\d{9,10})\.\d+$/.exec(callId);
  return parseTime(text(value), {
    zone: cfg.timezone ?? 'UTC',
    displayFormat: cfg.display_format as DisplayFormat | undefined,
    field,
    ...(epoch ? { near: Number(epoch[1]) * 1000 } : {}),
    onDst: dstObserver(ctx),
  });
}

function country(ctx: NormaliseContext): string | undefined {
  return (ctx.config as EventConfig & typeof ctx.config).country;
}

function callEndDetails(ev: PEvent, ctx: NormaliseContext): Normalised {
  const m = ev.msg;
  const callId = text(m.uid) || text(m.call_id);
  if (!callId) throw new CallhouseError('INVALID_VALUE', '30012: no call_id or uid');
  const started = timeOf(m.time_start, 'time_start', ctx, text(m.call_id));
  const total = parseDuration(m.call_duration, 'call_duration');
  const talk = parseDuration(m.talk_duration, 'talk_duration');
  const ring = Math.max(0, total - talk);
  const status = text(m.status);
  const from = text(m.call_from);
  const to = text(m.call_to);
  const shape = callShape({
    from,
    to,
    srcTrunk: text(m.src_trunk_name),
    dstTrunk: text(m.dst_trunk_name),
    type: text(m.type),
    status,
    talk,
    country: country(ctx),
  });
  // agent_ring_time is the wait from entering a queue to an agent answering; 0 on calls that met
  // no queue, so 0 says nothing and stays null.
  const wait = parseOptionalDuration(m.agent_ring_time, 'agent_ring_time', null);
  const ended = plusSeconds(started, total);

  const out = emptyNormalised();
  out.calls.push(
    buildCall(ctx, {
      call_id: callId,
      started,
      answered: talk > 0 || shape.disposition === 'answered' ? plusSeconds(started, ring) : null,
      ended,
      ...shape,
      did: text(m.did_number),
      ring_seconds: ring,
      talk_seconds: talk,
      total_seconds: total,
      queue_wait_seconds: wait !== null && wait > 0 ? wait : null,
      recording: text(m.recording),
    }),
  );
  out.events.push(
    buildEvent(ctx, {
      call_id: callId,
      event_at: ended,
      event_type: 'cdr',
      vendor_action: '30012',
      parties: [from, to].filter((p) => p !== ''),
      from,
      to,
      trunk: shape.trunk,
      info: status,
      // The same CDR, sent with msg as a string or as an object, is one event.
      event_key: digest(`yeastar-p:30012:${callId}`),
    }),
  );
  return out;
}

function callEndTimeline(ev: PEvent, ctx: NormaliseContext): Normalised {
  const m = ev.msg;
  const uid = text(m.uid);
  if (!uid) throw new CallhouseError('INVALID_VALUE', '30039: no uid');
  const legText = text(m.leg);
  if (!/^\d{1,6}$/.test(legText)) throw new CallhouseError('INVALID_VALUE', `30039: leg: not a number: ${legText}`);
  const vendorLeg = Math.max(1, Number(legText));
  const started = timeOf(m.time_start, 'time_start', ctx);
  const total = parseDuration(m.call_duration, 'call_duration');
  const talk = parseDuration(m.talk_duration, 'talk_duration');
  const ring = parseOptionalDuration(m.ring_duration, 'ring_duration', Math.max(0, total - talk));
  const shape = callShape({
    from: text(m.call_from),
    to: text(m.call_to),
    srcTrunk: text(m.src_trunk),
    dstTrunk: text(m.dst_trunk),
    type: text(m.call_type),
    status: text(m.status),
    talk,
    country: country(ctx),
  });

  const out = emptyNormalised();
  out.calls.push(
    buildCall(ctx, {
      call_id: text(m.cdr_id) || `${uid}-${vendorLeg}`,
      parent_call_id: uid,
      leg: 1,
      started,
      answered: talk > 0 ? plusSeconds(started, ring) : null,
      ended: plusSeconds(started, total),
      ...shape,
      did: text(m.did_number),
      ring_seconds: ring,
      talk_seconds: talk,
      total_seconds: total,
    }),
  );
  return out;
}

const LIVE_TYPES: Record<number, EventType> = { 30016: 'invite', 30017: 'dtmf', 30027: 'other' };

/**
 * 30011 Call State Changed lists every member with its `member_status` (vendor documentation):
 * ALERT the caller hears ringback, RING / EARLYMEDIA the callee rings, ANSWERED the caller's call
 * was answered, ANSWER the callee answered, HOLD, BYE. One report is the call's state at a
 * change, so the furthest state any member is in names it: a hang-up, then an answer (the callee's
 * ANSWER before the caller's ANSWERED, as both are listed together), then ringing, then ringback.
 * HOLD, and any status not listed, is `other`.
 */
const CALL_STATES: [string, EventType][] = [
  ['BYE', 'hangup'],
  ['ANSWER', 'answer'],
  ['ANSWERED', 'answered'],
  ['RING', 'ring'],
  ['EARLYMEDIA', 'ring'],
  ['ALERT', 'ringback'],
];

function callStateOf(parties: Party[]): EventType {
  const statuses = new Set(parties.map((p) => p.status.trim().toUpperCase()));
  if (statuses.has('HOLD') && !statuses.has('BYE')) return 'other';
  for (const [status, type] of CALL_STATES) if (statuses.has(status)) return type;
  return 'other';
}

interface Party {
  number: string;
  from: string;
  to: string;
  trunk: string;
  status: string;
}

/** members: [{extension|inbound|outbound: {...}}] (older firmware: `ext`). */
function partiesOf(members: unknown): Party[] {
  if (!Array.isArray(members)) return [];
  const out: Party[] = [];
  for (const m of members) {
    if (!isObject(m)) continue;
    for (const kind of ['extension', 'ext', 'inbound', 'outbound']) {
      const p = m[kind];
      if (!isObject(p)) continue;
      const from = text(p.from);
      const to = text(p.to);
      out.push({
        number: text(p.number) || from || to,
        from,
        to,
        trunk: text(p.trunk_name) || text(p.trunkname) || text(p.trunk),
        status: text(p.member_status) || text(p.memberstatus),
      });
    }
  }
  return out;
}

function liveEvent(ev: PEvent, ctx: NormaliseContext): Normalised {
  const m = ev.msg;
  const parties = partiesOf(m.members);
  const external = parties.find((p) => p.from !== '' || p.to !== '');
  const numbers = parties.map((p) => p.number).filter((n) => n !== '');
  let info: string;
  if (ev.type === 30017) info = text(m.info) || text(m.infos);
  else if (ev.type === 30027) {
    info = /^success$/i.test(text(m.result)) ? text(m.file) : `${text(m.result)}: ${text(m.error)}`.trim();
  } else info = parties.map((p) => (p.status ? `${p.number}:${p.status}` : p.number)).join(' ');

  const out = emptyNormalised();
  out.events.push(
    buildEvent(ctx, {
      call_id: text(m.call_id) || text(m.uid),
      event_at: ctx.received_at,
      event_type: ev.type === 30011 ? callStateOf(parties) : (LIVE_TYPES[ev.type] ?? 'other'),
      vendor_action: String(ev.type),
      parties: numbers,
      from: external?.from || numbers[0] || '',
      to: external?.to || numbers[1] || '',
      trunk: external?.trunk ?? '',
      info,
      event_key: digest(`yeastar-p:${ev.type}:${ev.sn}:${stableJson(m)}`),
    }),
  );
  return out;
}
