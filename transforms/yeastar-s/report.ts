/**
 * One Yeastar S report read into a single view, from any of the three body shapes:
 * - legacy v1: parties as repeated keys, `"ext":{"extid":"1000"},"ext":{"extid":"1002"}`;
 * - 1.0.2: parties in a `call` array of one-key objects (OpenVox also sends `"extid":["101","106"]`);
 * - v2.0.0: `event` instead of `action`, parties in `members[{ext:{number…}}|{inbound:{…}}|…]`.
 */
import { CallhouseError } from '../../runtime/errors.js';
import { OrderedObject, type JsonValue } from './ordered-json.js';

export interface TrunkLeg {
  kind: 'inbound' | 'outbound';
  from: string;
  to: string;
  trunk: string;
}

export interface ReportView {
  /** `action` (v1, 1.0.2) or `event` (v2), as sent. */
  action: string;
  callid: string;
  /**
   * Parties in the order the PBX listed them. An extension is its number; a trunk leg is its
   * outside party: `from` of an inbound leg, `to` of an outbound leg (the extension side of a
   * trunk leg is listed by the PBX as an ext party of its own).
   */
  parties: string[];
  /** The first trunk leg named in the report, if any. */
  leg: TrunkLeg | null;
  report: OrderedObject;
}

const PARTY_KEYS = new Set(['ext', 'inbound', 'outbound']);

export function readReport(report: OrderedObject): ReportView {
  const action = text(report.get('action')) || text(report.get('event'));
  if (action === '') {
    throw new CallhouseError('UNSUPPORTED_PAYLOAD', 'report has neither "action" nor "event"');
  }
  const parties: string[] = [];
  const legs: TrunkLeg[] = [];
  const visit = (key: string, value: JsonValue): void => {
    if (!(value instanceof OrderedObject)) return;
    if (key === 'ext') {
      for (const n of extNumbers(value)) parties.push(n);
    } else if (key === 'inbound' || key === 'outbound') {
      const leg: TrunkLeg = {
        kind: key,
        from: text(value.get('from')),
        to: text(value.get('to')),
        trunk: text(value.get('trunk')) || text(value.get('trunkname')),
      };
      legs.push(leg);
      const outside = key === 'inbound' ? leg.from : leg.to;
      if (outside !== '') parties.push(outside);
    }
  };
  for (const [key, value] of report.entries) {
    if (PARTY_KEYS.has(key)) visit(key, value);
    else if ((key === 'call' || key === 'members') && Array.isArray(value)) {
      for (const member of value) {
        if (!(member instanceof OrderedObject)) continue;
        for (const [k, v] of member.entries) if (PARTY_KEYS.has(k)) visit(k, v);
      }
    }
  }
  return { action, callid: text(report.get('callid')), parties, leg: legs[0] ?? null, report };
}

/** `{extid:"1000"}`, `{extid:["101","106"]}` (OpenVox) or v2's `{number:"1000"}`. */
function extNumbers(ext: OrderedObject): string[] {
  const id = ext.get('extid') ?? ext.get('number');
  const values = Array.isArray(id) ? id : [id];
  return values.map(text).filter((s) => s !== '');
}

/** A scalar as trimmed text; objects, arrays and absent values are ''. */
export function text(v: JsonValue | undefined): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** A field of the report as text ('' when absent, null, or v2's "" for absent). */
export function field(view: ReportView, name: string): string {
  return text(view.report.get(name));
}
