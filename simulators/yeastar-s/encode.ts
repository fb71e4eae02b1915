/**
 * Writes a report in one of the three body shapes the PBX uses. The legacy shape repeats `ext`
 * keys, which no JSON serializer writes, so the text is built by hand.
 */
export type Shape = 'v1' | '1.0.2' | 'v2';

export interface TrunkSide {
  from: string;
  to: string;
  trunk: string;
  /** The trunk channel's own call id (inboundid/outboundid). */
  id: string;
}

export type Party = { ext: string | string[] } | { inbound: TrunkSide } | { outbound: TrunkSide };

export interface Report {
  action: string;
  callid: string;
  parties: Party[];
  /** Fields after the parties, in order (reason, info, prompt, surveyresult, CDR fields). */
  extra: Array<[string, string | number]>;
}

/** The CDR fields v2 always sends, as "" when they do not apply. */
export const CDR_FIELDS = [
  'cdrid',
  'timestart',
  'callfrom',
  'callto',
  'callduraction',
  'talkduraction',
  'srctrunkname',
  'desttrunkname',
  'status',
  'type',
  'pincode',
  'recording',
  'didnumber',
  'agentringtime',
] as const;

export function encodeReport(r: Report, shape: Shape, sn: string): string {
  const pairs: string[] = [];
  const put = (k: string, v: string) => pairs.push(`${JSON.stringify(k)}:${v}`);
  put(shape === 'v2' ? 'event' : 'action', JSON.stringify(r.action));
  if (r.callid !== '') put('callid', JSON.stringify(r.callid));
  if (shape === 'v1') {
    for (const p of r.parties) {
      const [k, v] = legacyParty(p);
      put(k, v);
    }
  } else if (r.parties.length > 0) {
    put(shape === 'v2' ? 'members' : 'call', `[${r.parties.map((p) => memberOf(p, shape)).join(',')}]`);
  }
  const extra = shape === 'v2' && r.action === 'NewCdr' ? withAllCdrFields(r.extra) : r.extra;
  for (const [k, v] of extra) put(k, JSON.stringify(v));
  if (shape !== 'v1') put('sn', JSON.stringify(sn));
  return `{${pairs.join(',')}}`;
}

function legacyParty(p: Party): [string, string] {
  if ('ext' in p) return ['ext', JSON.stringify({ extid: p.ext })];
  if ('inbound' in p) {
    const { from, to, trunk, id } = p.inbound;
    return ['inbound', JSON.stringify({ from, to, trunk, inboundid: id })];
  }
  const { from, to, trunk, id } = p.outbound;
  return ['outbound', JSON.stringify({ from, to, trunk, outboundid: id })];
}

function memberOf(p: Party, shape: Shape): string {
  if (shape === '1.0.2') {
    const [k, v] = legacyParty(p);
    return `{${JSON.stringify(k)}:${v}}`;
  }
  if ('ext' in p) {
    const number = Array.isArray(p.ext) ? p.ext[0]! : p.ext;
    return JSON.stringify({
      ext: { number, channelid: `PJSIP/${number}-${channelSuffix(number)}`, memberstatus: 'ALERT' },
    });
  }
  const [kind, side] = 'inbound' in p ? (['inbound', p.inbound] as const) : (['outbound', p.outbound] as const);
  return JSON.stringify({
    [kind]: { from: side.from, to: side.to, trunkname: side.trunk, channelid: `PJSIP/${side.trunk}-${side.id}` },
  });
}

function channelSuffix(s: string): string {
  return s.padStart(8, '0').slice(-8);
}

function withAllCdrFields(extra: Array<[string, string | number]>): Array<[string, string | number]> {
  const given = new Map(extra);
  return CDR_FIELDS.map((k): [string, string | number] => [k, given.get(k) ?? '']);
}
