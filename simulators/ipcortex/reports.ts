/** The four billing reports of the simulated PABX, shaped as the API documents them. */
import { DateTime } from 'luxon';
import { callsOfDay, type GenerateOptions, type InItem, type OutItem, type SimCall, type SimCompany } from './data.js';

export class ScopeError extends Error {}

export interface ReportWorld extends GenerateOptions {
  companies: SimCompany[];
  /** allcalls is documented to exclude cost; its example still shows one. */
  allcallsCost: boolean;
}

/** Local days of a scope: `day` + `days`, or the whole month without `day`. */
export function scopeDays(scope: Record<string, unknown>): string[] {
  const year = Number(scope.year);
  const month = Number(scope.month);
  if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12 || year < 1990) {
    throw new ScopeError('Invalid scope: month and year are required');
  }
  const start = DateTime.utc(year, month, scope.day === undefined ? 1 : Number(scope.day));
  if (!start.isValid) throw new ScopeError('Invalid scope: bad day');
  const days = scope.day === undefined ? start.daysInMonth! : scope.days === undefined ? 1 : Number(scope.days);
  if (!Number.isInteger(days) || days < 1 || days > 62) throw new ScopeError('Invalid scope: bad days');
  return Array.from({ length: days }, (_, i) => start.plus({ days: i }).toFormat('yyyy-MM-dd'));
}

export function callsOfDays(world: ReportWorld, days: string[]): SimCall[] {
  return days.flatMap((d) => callsOfDay(world.companies, d, world));
}

/** `scope.company` is a string or an array of strings. */
function companyFilter(scope: Record<string, unknown>, fallback: string[] | undefined): string[] | undefined {
  const c = scope.company;
  if (typeof c === 'string') return [c];
  if (Array.isArray(c)) return c.map(String);
  return fallback;
}

type Groups = Record<string, { name: string; device?: string; calls: object[] }>;

function inGroups(calls: SimCall[], withDdi: boolean, extensions?: string[]): Groups {
  const out: Groups = {};
  for (const c of calls) {
    if (!c.in || (extensions && !extensions.includes(c.in.extension))) continue;
    const { ddi: _ddi, ...rest } = c.in.item;
    const item: Partial<InItem> = withDdi ? c.in.item : rest;
    (out[c.in.extension] ??= { name: c.in.name, calls: [] }).calls.push(item);
  }
  return out;
}

function outGroups(calls: SimCall[], withCost: boolean, deviceIds?: string[]): Groups {
  const out: Groups = {};
  for (const c of calls) {
    if (!c.out || (deviceIds && !deviceIds.includes(c.out.deviceId))) continue;
    // Fields stay in the documented order.
    const { cost: _cost, ...rest } = c.out.item;
    const item: Partial<OutItem> = withCost ? c.out.item : rest;
    (out[c.out.deviceId] ??= { name: c.out.name, device: c.out.device, calls: [] }).calls.push(item);
  }
  return out;
}

export function incalls(world: ReportWorld, scope: Record<string, unknown>): Groups {
  const companies = companyFilter(scope, ['default'])!;
  const calls = callsOfDays(world, scopeDays(scope)).filter((c) => companies.includes(c.company));
  const extensions = Array.isArray(scope.extensions) ? scope.extensions.map(String) : undefined;
  return inGroups(calls, false, extensions);
}

export function outcalls(world: ReportWorld, scope: Record<string, unknown>): Groups {
  const companies = companyFilter(scope, ['default'])!;
  const calls = callsOfDays(world, scopeDays(scope)).filter((c) => companies.includes(c.company));
  const deviceIds = Array.isArray(scope.deviceids) ? scope.deviceids.map(String) : undefined;
  return outGroups(calls, true, deviceIds);
}

export function allcalls(world: ReportWorld, scope: Record<string, unknown>): Record<string, object> {
  const calls = callsOfDays(world, scopeDays(scope));
  const values: Record<string, object> = {};
  for (const company of world.companies) {
    const mine = calls.filter((c) => c.company === company.id);
    values[company.id] = { name: company.name, out: outGroups(mine, world.allcallsCost), in: inGroups(mine, true) };
  }
  return values;
}

export interface DeviceTotal {
  name: string;
  device: string;
  costTenths: number;
  seconds: number;
  unknown: number;
}

/** Month totals per company and device, in exact tenths of a penny. */
export function monthTotals(world: ReportWorld, year: number, month: number): Map<string, Map<string, DeviceTotal>> {
  const calls = callsOfDays(world, scopeDays({ year, month }));
  const totals = new Map<string, Map<string, DeviceTotal>>();
  for (const c of calls) {
    if (!c.out) continue;
    const devices = totals.get(c.company) ?? new Map<string, DeviceTotal>();
    totals.set(c.company, devices);
    const t = devices.get(c.out.deviceId) ?? {
      name: c.out.name,
      device: c.out.device,
      costTenths: 0,
      seconds: 0,
      unknown: 0,
    };
    devices.set(c.out.deviceId, t);
    t.seconds += c.out.item.billsecs;
    if (c.costTenths === null) t.unknown += 1;
    else t.costTenths += c.costTenths;
  }
  return totals;
}

export function outsummary(world: ReportWorld, scope: Record<string, unknown>): Record<string, object> {
  scopeDays({ year: scope.year, month: scope.month });
  const only = companyFilter(scope, undefined);
  const totals = monthTotals(world, Number(scope.year), Number(scope.month));
  const values: Record<string, object> = {};
  for (const company of world.companies) {
    if (only && !only.includes(company.id)) continue;
    const devices = totals.get(company.id) ?? new Map<string, DeviceTotal>();
    const sum = (f: (t: DeviceTotal) => number) => [...devices.values()].reduce((s, t) => s + f(t), 0);
    const entry: Record<string, unknown> = {
      name: company.name,
      cost: sum((t) => t.costTenths) / 10,
      seconds: sum((t) => t.seconds),
      unknown: sum((t) => t.unknown),
    };
    if (scope.detail === true) {
      for (const [id, t] of devices) {
        entry[id] = { name: t.name, device: t.device, cost: t.costTenths / 10, seconds: t.seconds, unknown: t.unknown };
      }
    }
    values[company.id] = entry;
  }
  return values;
}
