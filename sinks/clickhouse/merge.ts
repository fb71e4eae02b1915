/**
 * Versions of one call merged field by field. A call may reach the warehouse more than once and
 * from more than one feed of its vendor (Voicenter's CDR notification and its polled Call Log
 * record): each field of the stored row is the best of every version seen, so that a value one
 * feed knows is never lost to another that does not.
 *
 * For each field the winner is the version with the greatest key
 *   (value known, rank of the version's origin for that field (0 when unknown), ingested_at,
 *    the value itself):
 * a known value beats an unknown one; between known values the feed that is more trustworthy
 * for that field wins (PRECEDENCE); within one feed the newer version wins; equal versions tie
 * on the value, so that the result is the same whatever order the versions come in. A maximum
 * per field is exact incrementally: the stored row plus, per field, which version it came from
 * (`merged_from`, kept in call_contrib) is all that a later version needs to be merged with.
 */

/** Where a version came from: the receipt's `meta.endpoint` (Voicenter: `cdr` or `notification`), or ''. */
export type Origin = string;

/** A version of a call: its row, the feed it came from and its ingested_at in epoch milliseconds. */
export interface Version {
  row: Record<string, unknown>;
  origin: Origin;
  ms: number;
}

/** Per lead field, the version (origin, ingested_at ms) its value came from, where not the row's own. */
export type MergedFrom = Record<string, [Origin, number]>;

/** A stored call: its row, the row's own origin and ingested_at, and where other fields came from. */
export interface Stored extends Version {
  mergedFrom: MergedFrom;
}

/**
 * Fields taken together from one version, decided by the first (the lead): a local time belongs
 * to its instant, a vendor status to its disposition, an E.164 form to the number it was read
 * from, a currency to its cost.
 */
export const FIELD_GROUPS: readonly (readonly string[])[] = [
  ['started_at', 'started_local'],
  ['parent_call_id'],
  ['answered_at'],
  ['ended_at'],
  ['direction'],
  ['caller', 'caller_e164'],
  ['callee', 'callee_e164'],
  ['caller_ext'],
  ['callee_ext'],
  ['trunk'],
  ['did'],
  ['queue'],
  ['agent'],
  ['disposition', 'vendor_status'],
  ['vendor_type'],
  ['ring_seconds'],
  ['talk_seconds'],
  ['total_seconds'],
  ['queue_wait_seconds'],
  ['cost', 'currency'],
  ['recording'],
];

/** The columns of a call that are its identity: equal in every version. */
const IDENTITY = ['tenant', 'source', 'connector_id', 'call_id', 'leg'] as const;

/** Every column of `calls`, in its order. */
export const CALL_COLUMNS = [
  'tenant',
  'source',
  'connector_id',
  'call_id',
  'parent_call_id',
  'leg',
  'started_at',
  'started_local',
  'answered_at',
  'ended_at',
  'direction',
  'caller',
  'callee',
  'caller_e164',
  'callee_e164',
  'caller_ext',
  'callee_ext',
  'trunk',
  'did',
  'queue',
  'agent',
  'disposition',
  'vendor_status',
  'vendor_type',
  'ring_seconds',
  'talk_seconds',
  'total_seconds',
  'queue_wait_seconds',
  'cost',
  'currency',
  'recording',
  'ingested_at',
] as const;

/**
 * Which feed wins a field both know, per connector type: the first origin listed wins. Feeds not
 * listed (and connectors not listed) rank equal, below the listed ones: the newer version wins.
 * Voicenter: the Call Log record (`cdr`) is the vendor's stored record of the call (its talk,
 * ring, price, status and numbers); only the notification knows the queue wait, and the answer
 * and end instants it gives include that wait.
 */
export const PRECEDENCE: Record<string, { default: Origin[]; fields?: Record<string, Origin[]> }> = {
  voicenter: {
    default: ['cdr', 'notification'],
    fields: {
      queue_wait_seconds: ['notification', 'cdr'],
      answered_at: ['notification', 'cdr'],
      ended_at: ['notification', 'cdr'],
    },
  },
};

/** Whether a field's value says something: NULL, '', 'unknown' (direction, disposition) and a 0 duration do not. */
export function isKnown(field: string, value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (field === 'direction' || field === 'disposition') return value !== 'unknown';
  if (field === 'ring_seconds' || field === 'talk_seconds' || field === 'total_seconds') return Number(value) !== 0;
  return true;
}

function rank(source: string, origin: Origin, lead: string): number {
  const p = PRECEDENCE[source];
  if (!p) return 0;
  const list = p.fields?.[lead] ?? p.default;
  const i = list.indexOf(origin);
  return i === -1 ? 0 : list.length - i;
}

/** A value as compared on a tie: a decimal without its trailing zeros (the engine returns 0.1 for '0.10'). */
function canonical(field: string, value: unknown): string {
  if (field === 'cost' && typeof value === 'string' && value.includes('.')) {
    return JSON.stringify(value.replace(/0+$/, '').replace(/\.$/, ''));
  }
  return JSON.stringify(value ?? null);
}

interface Candidate {
  group: readonly string[];
  values: unknown[];
  known: boolean;
  rank: number;
  origin: Origin;
  ms: number;
  /** The values as compared on a tie, worked out only when a tie needs them. */
  tie?: string;
}

function candidate(
  group: readonly string[],
  row: Record<string, unknown>,
  source: string,
  origin: Origin,
  ms: number,
): Candidate {
  const values = group.map((f) => row[f] ?? null);
  const known = isKnown(group[0]!, values[0]);
  // Between unknown values no feed is better: the newer wins, which is mostly the row's own.
  return { group, values, known, rank: known ? rank(source, origin, group[0]!) : 0, origin, ms };
}

function tieOf(c: Candidate): string {
  return (c.tie ??= c.group.map((f, i) => canonical(f, c.values[i])).join('\u0000'));
}

function beats(a: Candidate, b: Candidate): boolean {
  if (a.known !== b.known) return a.known;
  if (a.rank !== b.rank) return a.rank > b.rank;
  if (a.ms !== b.ms) return a.ms > b.ms;
  const ta = tieOf(a);
  const tb = tieOf(b);
  if (ta !== tb) return ta > tb;
  return a.origin > b.origin;
}

/** The row's own version: the newest, then the greatest origin (any fixed rule does, applied everywhere). */
function newer(a: { origin: Origin; ms: number }, b: { origin: Origin; ms: number }): boolean {
  return a.ms !== b.ms ? a.ms > b.ms : a.origin > b.origin;
}

/**
 * The stored call (if any) merged with new versions of it: the row to store, its own origin and
 * ingested_at, and where its other fields came from. Commutative, associative and idempotent.
 */
export function mergeVersions(stored: Stored | undefined, versions: readonly Version[]): Stored {
  const all: Version[] = stored ? [stored, ...versions] : [...versions];
  if (all.length === 0) throw new Error('mergeVersions: no version');
  const source = String(all[0]!.row.source ?? '');
  let own: Version = all[0]!;
  for (const v of all) if (newer(v, own)) own = v;
  const row: Record<string, unknown> = {};
  for (const c of CALL_COLUMNS) row[c] = own.row[c] ?? null;
  for (const c of IDENTITY) row[c] = own.row[c];
  const mergedFrom: MergedFrom = {};
  for (const group of FIELD_GROUPS) {
    const lead = group[0]!;
    let best: Candidate | undefined;
    if (stored) {
      const [origin, ms] = stored.mergedFrom[lead] ?? [stored.origin, stored.ms];
      best = candidate(group, stored.row, source, origin, ms);
    }
    for (const v of versions) {
      const c = candidate(group, v.row, source, v.origin, v.ms);
      if (!best || beats(c, best)) best = c;
    }
    group.forEach((f, i) => (row[f] = best!.values[i]));
    if (best!.origin !== own.origin || best!.ms !== own.ms) mergedFrom[lead] = [best!.origin, best!.ms];
  }
  return { row, origin: own.origin, ms: own.ms, mergedFrom };
}

/** merged_from as stored in call_contrib ('' when every field is the row's own). */
export function encodeMergedFrom(m: MergedFrom): string {
  const keys = Object.keys(m).sort();
  if (keys.length === 0) return '';
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, m[k]])));
}

export function decodeMergedFrom(text: string): MergedFrom {
  if (text === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return {};
    const out: MergedFrom = {};
    for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
      if (Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number') out[k] = [e[0], e[1]];
    }
    return out;
  } catch {
    return {};
  }
}
