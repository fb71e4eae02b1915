/**
 * Direction and trunk of a CDR row. Asterisk has no direction column, so it is read from the
 * channels first (a trunk channel on the calling side means inbound, on the called side outbound),
 * then from the dialplan context, then from the shape of the numbers.
 */
import type { Direction } from '../core/model.js';
import type { PhoneParts } from '../core/phones.js';
import type { CdrRow } from './columns.js';

export interface DirectionRules {
  trunks: readonly string[];
  trunk_technologies: readonly string[];
  inbound_contexts: readonly string[];
}

/** `PJSIP/trunk-gb-0000001a` → {tech: PJSIP, peer: trunk-gb}; `DAHDI/1-1` → {DAHDI, 1}. */
export function channelParts(channel: string): { tech: string; peer: string } | null {
  const m = /^([A-Za-z0-9]+)\/(.+?)(-[0-9a-fA-F]+)?(;\d+)?$/.exec(channel.trim());
  return m ? { tech: m[1]!, peer: m[2]! } : null;
}

export function trunkOf(channel: string, rules: DirectionRules): string {
  const p = channelParts(channel);
  if (!p) return '';
  if (rules.trunks.includes(p.peer)) return p.peer;
  if (rules.trunk_technologies.some((t) => t.toUpperCase() === p.tech.toUpperCase())) return `${p.tech}/${p.peer}`;
  return '';
}

export function directionOfRow(
  row: CdrRow,
  caller: PhoneParts,
  callee: PhoneParts,
  rules: DirectionRules,
): { direction: Direction; trunk: string } {
  const inTrunk = trunkOf(row.channel ?? '', rules);
  if (inTrunk) return { direction: 'inbound', trunk: inTrunk };
  const outTrunk = trunkOf(row.dstchannel ?? '', rules);
  if (outTrunk) return { direction: 'outbound', trunk: outTrunk };
  if (rules.inbound_contexts.includes((row.dcontext ?? '').trim())) return { direction: 'inbound', trunk: '' };
  if (caller.e164) return { direction: 'inbound', trunk: '' };
  if (caller.ext && callee.e164) return { direction: 'outbound', trunk: '' };
  if (caller.ext && callee.ext) return { direction: 'internal', trunk: '' };
  return { direction: 'unknown', trunk: '' };
}
