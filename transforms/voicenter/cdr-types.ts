/**
 * Voicenter call types. The Call Log API gives both `Type` (the name) and `CdrType` (the id);
 * notifications give only the name, spelled loosely ("Click2Callleg1", "Click2Call leg1"), so
 * names are matched without regard to case or spaces. Ids are those of Voicenter's own Call Log
 * documentation (the seed's "#" column is a row number, not an id); the types without an id
 * (CC, Callference, Scrubber, FaxCdr) are known only by name from the seed.
 *
 * `direction: 'parties'` means the type alone does not say: a transfer or forward record is
 * inbound when its caller is an outside number, internal between two extensions, outbound from an
 * extension to an outside number.
 */
import type { Direction } from '../core/model.js';

export interface CdrTypeInfo {
  id: number | null;
  name: string;
  /** 0 the call itself; 1 the setup leg to the agent's extension; 2 the leg to the destination. */
  leg: 0 | 1 | 2;
  direction: Direction | 'parties';
  /** The caller waited in a queue first (so ring and talk do not start at `started`). */
  queue: boolean;
}

export const CDR_TYPES: readonly CdrTypeInfo[] = [
  // The seed describes "Incoming Call" as "a regular outgoing call": a copy slip; it is inbound.
  { id: 1, name: 'Incoming Call', leg: 0, direction: 'inbound', queue: false },
  // Calling card: the user dials an access number, then Voicenter dials out for them.
  { id: null, name: 'CC', leg: 0, direction: 'outbound', queue: false },
  {
    id: 4,
    name: 'Extension Outgoing',
    leg: 0,
    direction: 'outbound',
    queue: false,
  },
  { id: 8, name: 'Queue', leg: 0, direction: 'inbound', queue: true },
  // Click2Call and the dialers set up an outbound call: leg 1 rings the agent, leg 2 the customer.
  {
    id: 9,
    name: 'Click2Call leg1',
    leg: 1,
    direction: 'outbound',
    queue: false,
  },
  {
    id: 10,
    name: 'Click2Call leg2',
    leg: 2,
    direction: 'outbound',
    queue: false,
  },
  { id: 11, name: 'VoiceMail', leg: 0, direction: 'inbound', queue: false },
  { id: null, name: 'Callference', leg: 0, direction: 'parties', queue: false },
  { id: 13, name: 'XferCDR', leg: 0, direction: 'parties', queue: false },
  {
    id: 14,
    name: 'ProductiveCall Leg1',
    leg: 1,
    direction: 'outbound',
    queue: false,
  },
  {
    id: 15,
    name: 'ProductiveCall Leg2',
    leg: 2,
    direction: 'outbound',
    queue: false,
  },
  { id: null, name: 'Scrubber', leg: 0, direction: 'parties', queue: false },
  // Predictive dialer: "Click 2 IVR" is its leg 1, the two "Incoming" types its leg 2.
  { id: 17, name: 'Click 2 IVR', leg: 1, direction: 'outbound', queue: false },
  {
    id: 18,
    name: 'Click 2 IVR Incoming',
    leg: 2,
    direction: 'outbound',
    queue: false,
  },
  {
    id: 19,
    name: 'Click 2 Queue Incoming',
    leg: 2,
    direction: 'outbound',
    queue: true,
  },
  { id: null, name: 'FaxCdr', leg: 0, direction: 'outbound', queue: false },
  // Attended transfer of an incoming call: leg 1 is A's consultation with B, leg 2 B with the caller.
  {
    id: 21,
    name: 'Attended CDR leg1',
    leg: 1,
    direction: 'parties',
    queue: false,
  },
  {
    id: 22,
    name: 'Attended CDR leg2',
    leg: 2,
    direction: 'inbound',
    queue: false,
  },
  { id: 23, name: 'Auto forward', leg: 0, direction: 'parties', queue: false },
];

const squeeze = (s: string): string => s.replace(/\s+/g, '').toLowerCase();
const BY_NAME = new Map(CDR_TYPES.map((t) => [squeeze(t.name), t]));
const BY_ID = new Map(CDR_TYPES.filter((t) => t.id !== null).map((t) => [t.id!, t]));

/** The type of a record from its id and/or name; the id wins when both are known. */
export function cdrTypeOf(id: unknown, name: string): CdrTypeInfo | undefined {
  const n = typeof id === 'number' ? id : typeof id === 'string' && /^\s*\d+\s*$/.test(id) ? Number(id) : NaN;
  return BY_ID.get(n) ?? (name ? BY_NAME.get(squeeze(name)) : undefined);
}
