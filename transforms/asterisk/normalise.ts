/**
 * Asterisk CDR CSV → canonical calls. One row per leg; the rows of one linkedid group (or, without
 * linkedid, of one uniqueid) are one call:
 *   - leg 0, `call_id` = the group id: the first ANSWERED row of the originating channel
 *     (uniqueid = group id), else its first row; rows of other channels are never leg 0, so a
 *     group split over two reads still has exactly one call;
 *   - every other row is kept as leg 1 (not counted by the views), `call_id` =
 *     `<uniqueid>#<sequence>` (or `#<digest of the line>` without a sequence column),
 *     `parent_call_id` = the group id.
 * Identities depend only on the rows, so a file read twice, POSTed twice or both gives the same rows.
 */
import { CallhouseError } from '../../runtime/errors.js';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import type { AsteriskConfig } from '../../connectors/asterisk/config.js';
import { dispositionOf } from '../core/dispositions.js';
import { parseDuration } from '../core/durations.js';
import { emptyNormalised, type CallRecord, type Normalised } from '../core/model.js';
import { phoneParts } from '../core/phones.js';
import { buildCall, digest, dstObserver } from '../core/records.js';
import { parseTime } from '../core/times.js';
import { columnsFor, type CdrRow } from './columns.js';
import { decodeCsv, groupOf, isHeader, parseLine, rowOf, splitLines } from './csv.js';
import { channelParts, directionOfRow, trunkOf } from './direction.js';

interface Line {
  text: string;
  row: CdrRow;
}

export function normaliseAsterisk(
  body: Buffer,
  _contentType: string,
  ctx: NormaliseContext<AsteriskConfig>,
): Normalised {
  const text = decodeCsv(body);
  const { lines, rest } = splitLines(text);
  if (rest.trim() !== '') lines.push(rest.replace(/\r$/, ''));
  const columns = ctx.meta.columns ? ctx.meta.columns.split(',') : columnsFor(ctx.config.extra_columns ?? []);
  const rows: Line[] = [];
  for (const line of lines) {
    const fields = parseLine(line);
    if (isHeader(fields)) continue;
    rows.push({ text: line, row: rowOf(fields, columns) });
  }
  if (rows.length === 0) throw new CallhouseError('PARSE_ERROR', 'no CDR rows in the body');

  const groups = new Map<string, Line[]>();
  for (const r of rows) {
    const g = groupOf(r.row);
    if (g === '') throw new CallhouseError('INVALID_VALUE', 'uniqueid: empty (set loguniqueid=yes in cdr.conf)');
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  const out = emptyNormalised();
  for (const [group, members] of groups) {
    const main = callRow(group, members);
    for (const m of members) {
      const leg = m === main ? 0 : 1;
      const callId =
        leg === 0 ? group : `${m.row.uniqueid}#${(m.row.sequence ?? '').trim() || digest(m.text).slice(0, 12)}`;
      out.calls.push(callOf(m.row, callId, leg, leg === 0 ? '' : group, ctx));
    }
  }
  return out;
}

/** The row that is the call: only the originating channel's (uniqueid = group id) qualify. */
function callRow(group: string, members: Line[]): Line | undefined {
  const own = members.filter((m) => m.row.uniqueid?.trim() === group);
  return own.find((m) => m.row.disposition?.trim().toUpperCase() === 'ANSWERED') ?? own[0];
}

/** `"Alice" <1001>` → {name: Alice, number: 1001}; a bare number is the number. */
export function parseClid(clid: string): { name: string; number: string } {
  const m = /^\s*(?:"((?:[^"]|"")*)"|([^<]*?))\s*<([^<>]*)>\s*$/.exec(clid);
  if (m) return { name: (m[1] ?? m[2] ?? '').replace(/""/g, '"').trim(), number: m[3]!.trim() };
  return { name: '', number: clid.trim() };
}

function callOf(
  row: CdrRow,
  callId: string,
  leg: number,
  parent: string,
  ctx: NormaliseContext<AsteriskConfig>,
): CallRecord {
  const c = ctx.config;
  const zone = c.usegmtime ? 'UTC' : (c.timezone ?? 'UTC');
  // In a repeated DST hour the absolute times decide the reading: the uniqueid's epoch for the
  // start, and the start plus the durations for the answer and the end.
  const onDst = dstObserver(ctx);
  const time = (field: string, near: number | undefined) =>
    parseTime(row[field], { zone, field, onDst, ...(near === undefined ? {} : { near }) });
  const optionalTime = (field: string, near: number) => ((row[field] ?? '').trim() === '' ? null : time(field, near));
  const epoch = /^(\d{9,10})\.\d+$/.exec((row.uniqueid ?? '').trim());
  const started = time('start', epoch ? Number(epoch[1]) * 1000 : undefined);
  const total = parseDuration(row.duration, 'duration');
  const talk = parseDuration(row.billsec, 'billsec');
  const endNear = started.toMillis() + total * 1000;
  const status = (row.disposition ?? '').trim();
  const app = (row.lastapp ?? '').trim();
  let disposition = dispositionOf(status);
  if (disposition === 'answered' && app.toLowerCase() === 'voicemail') disposition = 'voicemail';

  const clid = parseClid(row.clid ?? '');
  const callerRaw = (row.src ?? '').trim() || clid.number;
  const calleeRaw = (row.dst ?? '').trim();
  const opts = { maxExtensionDigits: c.max_extension_digits ?? 6 };
  const caller = phoneParts(callerRaw, c.country, opts);
  const callee = phoneParts(calleeRaw, c.country, opts);
  const rules = {
    trunks: c.trunks ?? [],
    trunk_technologies: c.trunk_technologies ?? ['DAHDI'],
    inbound_contexts: c.inbound_contexts ?? [],
  };
  const { direction, trunk } = directionOfRow(row, caller, callee, rules);
  const answeredLeg = disposition === 'answered' && ['dial', 'queue'].includes(app.toLowerCase());
  const dstPeer = channelParts(row.dstchannel ?? '')?.peer ?? '';
  return buildCall(ctx, {
    call_id: callId,
    parent_call_id: parent,
    leg,
    started,
    answered:
      disposition === 'answered' || disposition === 'voicemail' ? optionalTime('answer', endNear - talk * 1000) : null,
    ended: optionalTime('end', endNear),
    direction,
    caller: callerRaw,
    callee: calleeRaw,
    caller_e164: caller.e164,
    callee_e164: callee.e164,
    caller_ext: caller.ext,
    callee_ext: callee.ext,
    trunk,
    did: (row.did ?? '').trim() || (direction === 'inbound' ? calleeRaw : ''),
    queue: app.toLowerCase() === 'queue' ? (row.lastdata ?? '').split(/[,|]/)[0]!.trim() : '',
    agent: answeredLeg && !trunkOf(row.dstchannel ?? '', rules) && /^[\w.-]+$/.test(dstPeer) ? dstPeer : '',
    disposition,
    vendor_status: status,
    vendor_type: app,
    ring_seconds: Math.max(0, total - talk),
    talk_seconds: talk,
    total_seconds: total,
    recording: (row.recordingfile ?? '').trim(),
  });
}
