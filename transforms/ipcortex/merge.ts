/**
 * An internal call appears twice in the PABX reports: under the called extension (incalls / the
 * `in` half of allcalls) and under the calling device (outcalls / `out`). Both halves carry the
 * same `acctid`, so they are joined here into one payload per acctid: one call, one call_id,
 * whichever report or path it came from.
 */

/** One raw call item as the PABX sent it; only `acctid` is looked at here. */
export type VendorItem = Record<string, unknown>;

export interface InHalf {
  extension: string;
  name: string;
  call: VendorItem;
}

export interface OutHalf {
  device_id: string;
  name: string;
  device: string;
  call: VendorItem;
}

/** The body of one call payload on `raw.ipcortex`. */
export interface MergedCall {
  company: string;
  company_name: string;
  in?: InHalf;
  out?: OutHalf;
}

export interface MergeResult {
  /** Keyed by acctid, in ascending acctid order. */
  calls: { key: string; body: MergedCall }[];
  /** Items without a usable acctid: passed on alone so that the transform dead-letters them. */
  orphans: MergedCall[];
}

export class CallMerger {
  private readonly byAcctid = new Map<string, MergedCall>();
  private readonly orphans: MergedCall[] = [];

  addIn(company: string, companyName: string, half: InHalf): void {
    const key = acctidKey(half.call);
    if (key === null) {
      this.orphans.push({ company, company_name: companyName, in: half });
      return;
    }
    const found = this.byAcctid.get(key);
    if (!found) {
      this.byAcctid.set(key, { company, company_name: companyName, in: half });
    } else if (!found.in || preferred(half.call, found.in.call)) {
      found.in = half;
    }
  }

  addOut(company: string, companyName: string, half: OutHalf): void {
    const key = acctidKey(half.call);
    if (key === null) {
      this.orphans.push({ company, company_name: companyName, out: half });
      return;
    }
    const found = this.byAcctid.get(key);
    if (!found) {
      this.byAcctid.set(key, { company, company_name: companyName, out: half });
      return;
    }
    if (!found.out || preferred(half.call, found.out.call)) found.out = half;
    // The calling side owns the call when the two halves sit in different companies.
    found.company = company;
    if (companyName !== '' || found.company_name === '') found.company_name = companyName;
  }

  result(): MergeResult {
    const calls = [...this.byAcctid.entries()]
      .sort(([a], [b]) => compareDigits(a, b))
      .map(([key, m]) => ({ key, body: ordered(m) }));
    return { calls, orphans: this.orphans.map(ordered) };
  }
}

/** The acctid as a canonical digit string, or null when it is not a positive integer. */
export function acctidKey(call: VendorItem): string | null {
  const v = call.acctid;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && /^\s*\d{1,18}\s*$/.test(v)) return v.trim().replace(/^0+(?=\d)/, '');
  return null;
}

/** A duplicate half of the same acctid: keep the answered one (more billable seconds). */
function preferred(candidate: VendorItem, current: VendorItem): boolean {
  return Number(candidate.billsecs) > Number(current.billsecs);
}

function compareDigits(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Fixed key order, so that the same call always serialises to the same bytes. */
function ordered(m: MergedCall): MergedCall {
  return {
    company: m.company,
    company_name: m.company_name,
    ...(m.in ? { in: m.in } : {}),
    ...(m.out ? { out: m.out } : {}),
  };
}

/** Iterates `{key: {name, calls: [...]}, …}` groups of a report, skipping non-object entries. */
export function* groups(values: unknown): Generator<[string, Record<string, unknown>, VendorItem[]]> {
  if (!isObject(values)) return;
  for (const [id, group] of Object.entries(values)) {
    if (!isObject(group)) continue;
    const calls = Array.isArray(group.calls) ? group.calls : [];
    yield [id, group, calls.map((c) => (isObject(c) ? c : { value: c }))];
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** Adds every call of an incalls `values` object (or the `in` part of allcalls). */
export function addIncalls(merger: CallMerger, company: string, companyName: string, values: unknown): void {
  for (const [extension, group, calls] of groups(values)) {
    for (const call of calls) merger.addIn(company, companyName, { extension, name: text(group.name), call });
  }
}

/** Adds every call of an outcalls `values` object (or the `out` part of allcalls). */
export function addOutcalls(merger: CallMerger, company: string, companyName: string, values: unknown): void {
  for (const [deviceId, group, calls] of groups(values)) {
    for (const call of calls) {
      merger.addOut(company, companyName, {
        device_id: deviceId,
        name: text(group.name),
        device: text(group.device),
        call,
      });
    }
  }
}

/** Adds an allcalls `values` object: `{company: {name, in: {…}, out: {…}}, …}`. */
export function addAllcalls(merger: CallMerger, values: unknown, onlyCompanies?: readonly string[]): void {
  if (!isObject(values)) return;
  for (const [company, entry] of Object.entries(values)) {
    if (!isObject(entry)) continue;
    if (onlyCompanies && !onlyCompanies.includes(company)) continue;
    const name = text(entry.name);
    addIncalls(merger, company, name, entry.in);
    addOutcalls(merger, company, name, entry.out);
  }
}
