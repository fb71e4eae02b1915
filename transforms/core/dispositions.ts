import type { Direction, Disposition } from './model.js';

/**
 * Vendor status → disposition. Every value from the seeds and VENDORS.md is listed; matching
 * ignores case and surrounding spaces. A value no row knows becomes `unknown` (the vendor's text
 * stays in `vendor_status`).
 */
const DISPOSITION_TABLE: Record<Disposition, readonly string[]> = {
  answered: ['ANSWERED', 'ANSWER', 'ANSWERD'],
  no_answer: ['NO ANSWER', 'NO ANSWERED', 'NOANSWER', 'NOT ANSWERED', 'NO_ANSWER'],
  busy: ['BUSY', 'USER BUSY', 'DND', '486 BUSY HERE', '486', '603 DECLINED', '603'],
  cancelled: ['CANCEL', 'CANCELLED', 'CANCELED', 'NOTCALLED', '487 REQUEST TERMINATED', '487'],
  abandoned: [
    'ABANDONE',
    'ABANDONED',
    'ABANDON',
    'VOEND',
    'EXIT',
    'TIMEOUT',
    'EXITWITHTIMEOUT',
    'EXITEMPTY',
    'EXITWITHKEY',
  ],
  voicemail: ['VOICEMAIL'],
  system: ['TE'],
  failed: [
    'FAILED',
    'CONGESTION',
    'CHANUNAVAIL',
    'INVALIDARGS',
    'SSWPREAUTH',
    'NOTDIALED',
    'FULL',
    'JOINEMPTY',
    'LINE UNREACHABLE',
    'NO OUTBOUND RESTRICTION',
    '404 NOT FOUND',
    '404',
    '480 TEMPORARILY UNAVAILABLE',
    '480',
    '484 ADDRESS INCOMPLETE',
    '484',
  ],
  unknown: [],
};

const BY_VALUE = new Map<string, Disposition>();
for (const [disposition, values] of Object.entries(DISPOSITION_TABLE)) {
  for (const v of values) BY_VALUE.set(v, disposition as Disposition);
}

export function normaliseStatusKey(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toUpperCase();
}

export function dispositionOf(vendorStatus: string | null | undefined): Disposition {
  if (vendorStatus === null || vendorStatus === undefined) return 'unknown';
  return BY_VALUE.get(normaliseStatusKey(String(vendorStatus))) ?? 'unknown';
}

/** For records that carry no status at all (IPCortex outcalls): talk time means answered. */
export function dispositionFromTalk(talkSeconds: number): Disposition {
  return talkSeconds > 0 ? 'answered' : 'no_answer';
}

/** All known vendor values, for tests and documentation. */
export function knownStatusValues(): ReadonlyMap<string, Disposition> {
  return BY_VALUE;
}

const DIRECTION_TABLE: Record<Exclude<Direction, 'unknown'>, readonly string[]> = {
  inbound: ['INBOUND', 'INCOMING', 'IN', 'INCOMING CALL', 'EXTERNAL IN'],
  outbound: ['OUTBOUND', 'OUTGOING', 'OUT', 'EXTENSION OUTGOING', 'CALLBACK'],
  internal: ['INTERNAL', 'EXTENSION', 'INTERNAL CALL'],
};
const DIRECTION_BY_VALUE = new Map<string, Direction>();
for (const [direction, values] of Object.entries(DIRECTION_TABLE)) {
  for (const v of values) DIRECTION_BY_VALUE.set(v, direction as Direction);
}

/** A vendor's call type → direction; `unknown` when the value says nothing about direction. */
export function directionOf(vendorType: string | null | undefined): Direction {
  if (vendorType === null || vendorType === undefined) return 'unknown';
  return DIRECTION_BY_VALUE.get(normaliseStatusKey(String(vendorType))) ?? 'unknown';
}
