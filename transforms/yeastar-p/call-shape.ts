/**
 * What every P-Series call record (event 30012, a 30039 leg, a CDR) says the same way: the parties
 * with their E.164 or extension, the direction from the call type, the trunk on the outside side,
 * and the disposition (from the status, or from talk time when there is none).
 */
import type { CallFields } from '../core/records.js';
import { dispositionFromTalk, dispositionOf, directionOf } from '../core/dispositions.js';
import { phoneParts } from '../core/phones.js';

export interface CallShapeInput {
  from: string;
  to: string;
  srcTrunk: string;
  dstTrunk: string;
  type: string;
  status: string;
  talk: number;
  country: string | undefined;
}

export type CallShape = Required<
  Pick<
    CallFields,
    | 'direction'
    | 'caller'
    | 'callee'
    | 'caller_e164'
    | 'callee_e164'
    | 'caller_ext'
    | 'callee_ext'
    | 'trunk'
    | 'disposition'
    | 'vendor_status'
    | 'vendor_type'
  >
>;

export function callShape(i: CallShapeInput): CallShape {
  const direction = directionOf(i.type);
  const caller = phoneParts(i.from, i.country);
  const callee = phoneParts(i.to, i.country);
  return {
    direction,
    caller: i.from,
    callee: i.to,
    caller_e164: caller.e164,
    callee_e164: callee.e164,
    caller_ext: caller.ext,
    callee_ext: callee.ext,
    trunk: direction === 'outbound' ? i.dstTrunk || i.srcTrunk : i.srcTrunk || i.dstTrunk,
    disposition: i.status ? dispositionOf(i.status) : dispositionFromTalk(i.talk),
    vendor_status: i.status,
    vendor_type: i.type,
  };
}
