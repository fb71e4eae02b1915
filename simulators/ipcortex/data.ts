/**
 * The simulated PABX's world: companies, extensions with their handsets (device id = MAC + port),
 * a queue per company, and each local day's calls, all derived from a seed so that tests can
 * compute what a report must contain.
 */
import { DateTime } from 'luxon';
import { prng } from '../core/prng.js';
export { prng };

export interface SimExtension {
  number: string;
  name: string;
  /** Handset id: 12 hex digits of MAC address + 1 digit of port. */
  deviceId: string;
  /** SIP name of the handset. */
  device: string;
}

export interface SimCompany {
  id: string;
  name: string;
  extensions: SimExtension[];
  queue: { number: string; name: string };
  /** The company's DDI range prefix and its presented caller id. */
  ddiPrefix: string;
  cli: string;
}

export type CallKind = 'internal' | 'inbound' | 'queued' | 'outbound' | 'test';

export interface InItem {
  acctid: number;
  calldate: number;
  caller: string;
  type: 'Internal' | 'External';
  ringtime: number;
  billsecs: number;
  detail: string;
  qtime: string;
  qstatus: string;
  ddi: string;
}

export interface OutItem {
  acctid: number;
  calldate: number;
  type: string;
  called_info: string;
  called: string;
  dialled: string;
  billsecs: number;
  ringtime: number;
  /** Pence; null when the PABX has no rate for the number. */
  cost: number | null;
  trunk: string;
  cid: string;
}

export interface SimCall {
  acctid: number;
  /** Local date `YYYY-MM-DD` in the PABX zone. */
  day: string;
  company: string;
  kind: CallKind;
  in?: { extension: string; name: string; item: InItem };
  out?: { deviceId: string; name: string; device: string; item: OutItem };
  /** Cost in tenths of a penny, exact (null: unknown). */
  costTenths: number | null;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const FIRST = ['Alice', 'Ben', 'Chloe', 'Dev', 'Emma', 'Farid', 'Grace', 'Harry', 'Isla', 'Jack', 'Kiran', 'Lucy'];
const LAST = ['Archer', 'Bell', 'Carter', 'Doyle', 'Evans', 'Fisher', 'Grant', 'Hughes'];
const PHONES = ['snom320', 'snom710', 'YealinkT46', 'YealinkT54', 'keevio'];

export function buildCompanies(seed: number): SimCompany[] {
  const rand = prng(hash(`companies:${seed}`));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const make = (id: string, name: string, first: number, count: number, queue: string, ddi: string): SimCompany => ({
    id,
    name,
    extensions: Array.from({ length: count }, (_, i) => {
      const number = String(first + i);
      const mac = Math.floor(rand() * 0xffffff)
        .toString(16)
        .padStart(6, '0');
      return {
        number,
        name: `${pick(FIRST)} ${pick(LAST)}`,
        deviceId: `0004f2${mac}${i % 2}`,
        device: `${pick(PHONES)}-${number}`,
      };
    }),
    queue: { number: queue, name: id === 'default' ? 'Sales Queue' : 'Support Queue' },
    ddiPrefix: ddi,
    cli: `${ddi}000`,
  });
  return [
    make('default', 'Default Company', 200, 6, '500', '02079460'),
    make('acme', 'Acme Widgets Ltd', 300, 4, '510', '01174960'),
  ];
}

/** Days since 2015-01-01, which keeps acctids unique and rising from day to day. */
function dayIndex(day: string): number {
  return Math.round(DateTime.fromISO(day, { zone: 'UTC' }).diff(DateTime.utc(2015, 1, 1), 'days').days);
}

export interface GenerateOptions {
  seed: number;
  zone: string;
  callsPerDay: number;
}

/** Every call of one local day, all companies, in calldate order. */
export function callsOfDay(companies: SimCompany[], day: string, o: GenerateOptions): SimCall[] {
  const rand = prng(hash(`${o.seed}:${day}`));
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const open = DateTime.fromISO(`${day}T07:00:00`, { zone: o.zone }).toSeconds();
  const drafts: Omit<SimCall, 'acctid'>[] = [];

  for (const [c, company] of companies.entries()) {
    const count = c === 0 ? o.callsPerDay : Math.ceil(o.callsPerDay / 2);
    for (let i = 0; i < count; i++) {
      const calldate = Math.floor(open + rand() * 12 * 3600);
      const roll = rand();
      const kind: CallKind =
        roll < 0.25 ? 'internal' : roll < 0.5 ? 'inbound' : roll < 0.65 ? 'queued' : roll < 0.93 ? 'outbound' : 'test';
      const from = pick(company.extensions);
      const to = pick(company.extensions.filter((e) => e !== from));
      const ringtime = int(2, 25);
      const answered = rand() < 0.7;
      const billsecs = answered ? int(8, 900) : 0;
      const miss = pick(['Not answered', 'Not answered', 'Busy']);
      const external = rand() < 0.5 ? `07700900${int(100, 999)}` : `01632960${int(100, 999)}`;
      const ddi = `${company.ddiPrefix}${int(100, 199)}`;
      const base = { day, company: company.id, kind };
      const inItem = (caller: string, type: InItem['type'], extra: Partial<InItem> = {}): InItem => ({
        acctid: 0,
        calldate,
        caller,
        type,
        ringtime,
        billsecs,
        detail: answered ? 'Answered' : miss,
        qtime: '',
        qstatus: '',
        ddi: '',
        ...extra,
      });
      const outHalf = (item: Omit<OutItem, 'acctid' | 'calldate'>) => ({
        deviceId: from.deviceId,
        name: from.name,
        device: from.device,
        item: { acctid: 0, calldate, ...item },
      });

      if (kind === 'internal') {
        drafts.push({
          ...base,
          in: { extension: to.number, name: to.name, item: inItem(from.number, 'Internal') },
          out: outHalf({
            type: 'Internal',
            called_info: '',
            called: to.number,
            dialled: to.number,
            billsecs,
            ringtime,
            cost: 0,
            trunk: '',
            cid: from.number,
          }),
          costTenths: 0,
        });
      } else if (kind === 'inbound') {
        drafts.push({
          ...base,
          in: { extension: to.number, name: to.name, item: inItem(external, 'External', { ddi }) },
          costTenths: null,
        });
      } else if (kind === 'queued') {
        const outcome = answered ? 'ANSWERED' : pick(['ABANDONED', 'TIMEOUT']);
        drafts.push({
          ...base,
          in: {
            extension: company.queue.number,
            name: company.queue.name,
            item: inItem(external, 'External', {
              ddi,
              qtime: String(int(0, 120)),
              qstatus: outcome,
              ...(answered ? {} : { detail: 'Not answered' }),
            }),
          },
          costTenths: null,
        });
      } else if (kind === 'outbound') {
        const [type, info, number] = pick([
          ['National', 'UK Geographic', `01632960${int(100, 999)}`],
          ['Mobile', 'UK Mobile', `07700900${int(100, 999)}`],
          ['International', 'France', `0033140000${int(100, 999)}`],
        ] as const);
        // Rates per started minute, in tenths of a penny; some international numbers have no rate.
        const rate = type === 'National' ? 15 : type === 'Mobile' ? 85 : rand() < 0.3 ? null : 245;
        const costTenths = billsecs === 0 ? 0 : rate === null ? null : Math.ceil(billsecs / 60) * rate;
        drafts.push({
          ...base,
          out: outHalf({
            type,
            called_info: info,
            called: number,
            dialled: number,
            billsecs,
            ringtime,
            cost: costTenths === null ? null : costTenths / 10,
            trunk: 'SIPTRUNK1',
            cid: company.cli,
          }),
          costTenths,
        });
      } else {
        const secs = int(5, 60);
        drafts.push({
          ...base,
          out: outHalf({
            type: 'Test Number',
            called_info: '',
            called: '*600',
            dialled: '*600',
            billsecs: secs,
            ringtime: 0,
            cost: 0,
            trunk: '',
            cid: from.number,
          }),
          costTenths: 0,
        });
      }
    }
  }

  const first = 1_000_000 + dayIndex(day) * 1000;
  return drafts
    .map((d, i) => ({ d, i, at: (d.in?.item ?? d.out!.item).calldate }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map(({ d }, n) => {
      const acctid = first + n;
      if (d.in) d.in.item.acctid = acctid;
      if (d.out) d.out.item.acctid = acctid;
      return { acctid, ...d };
    });
}
