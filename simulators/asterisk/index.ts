/**
 * An Asterisk PBX for tests and `callhouse simulate asterisk`: it writes Master.csv into a CDR
 * directory as cdr_csv does (one complete line per CDR, appended), appends calls over time,
 * rotates the file as logrotate does, and can POST a file to an ingest URL.
 */
import { mkdtempSync } from 'node:fs';
import { appendFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvLine, nextCall, Prng, type GenState, type SimCall } from './data.js';
import { DEFAULT_COLUMNS } from '../../transforms/asterisk/columns.js';

export { csvLine, SIM_TRUNK, EXTENSIONS, type SimCall, type SimRow } from './data.js';
// Asterisk's documented default column order, the same list the connector reads by.
export { DEFAULT_COLUMNS };

export interface AsteriskSimOptions {
  /** CDR directory (default: a new temporary one, removed on close). */
  directory?: string;
  seed?: number;
  /** Zone of the PBX clock the times are written in. */
  timezone?: string;
  /** First call's start (ISO); default: an hour ago. */
  start?: string;
  /** Columns after the 18 default ones (cdr_custom); default `[linkedid, sequence]`. */
  extraColumns?: string[];
  /** Calls written at start. */
  initialCalls?: number;
  /** Appends one call every this many ms (0: only when asked; `callhouse simulate` without options: 5 s). */
  appendEveryMs?: number;
  /** Unused (the PBX writes files); accepted so that `callhouse simulate --port` works. */
  port?: number;
}

export interface AsteriskSimulator {
  /** `file://` URL of the CDR directory. */
  url: string;
  directory: string;
  /** Path of the active Master.csv. */
  file: string;
  columns: string[];
  /** Every call written so far, in file order. */
  calls: SimCall[];
  /** Generates and appends `n` calls (complete lines); returns them. */
  writeCalls(n: number): Promise<SimCall[]>;
  /** Generates `n` calls without writing them (e.g. to POST). */
  makeCalls(n: number): SimCall[];
  /** The CSV text of calls, as cdr_csv writes it. */
  csvOf(calls: readonly SimCall[]): string;
  /** Appends raw text (e.g. half a line, as seen mid-write). */
  appendRaw(text: string): Promise<void>;
  /** logrotate: Master.csv.N → .N+1, Master.csv → Master.csv.1; the next write starts a new file. */
  rotate(): Promise<void>;
  /** POSTs calls (default: all written) as one CSV file to an ingest URL. */
  post(target: string, calls?: readonly SimCall[]): Promise<Response>;
  close(): Promise<void>;
}

export async function startSimulator(opts: AsteriskSimOptions = {}): Promise<AsteriskSimulator> {
  const owned = opts.directory === undefined;
  const directory = opts.directory ?? mkdtempSync(join(tmpdir(), 'asterisk-sim-'));
  await mkdir(directory, { recursive: true });
  const columns = [...DEFAULT_COLUMNS, ...(opts.extraColumns ?? ['linkedid', 'sequence'])];
  const file = join(directory, 'Master.csv');
  const g: GenState = {
    prng: new Prng(opts.seed ?? 1),
    at: opts.start ? Date.parse(opts.start) : Math.floor(Date.now() / 1000) * 1000 - 3_600_000,
    counter: 1,
    sequence: 1,
    channel: 1,
    zone: opts.timezone ?? 'UTC',
  };
  const calls: SimCall[] = [];
  const csvOf = (cs: readonly SimCall[]) => cs.flatMap((c) => c.rows.map((r) => `${csvLine(r, columns)}\n`)).join('');
  const makeCalls = (n: number) => Array.from({ length: n }, () => nextCall(g));
  // One write per call, as Asterisk appends each CDR (writes are serialised).
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const r = queue.then(fn);
    queue = r.catch(() => undefined);
    return r;
  };
  const writeCalls = (n: number) =>
    serial(async () => {
      const made = makeCalls(n);
      for (const c of made) {
        await appendFile(file, csvOf([c]));
        calls.push(c);
      }
      return made;
    });
  // `callhouse simulate asterisk` passes only {port}: then behave like a live PBX.
  const live = opts.port !== undefined && opts.initialCalls === undefined && opts.appendEveryMs === undefined;
  const initial = opts.initialCalls ?? (live ? 20 : 0);
  const every = opts.appendEveryMs ?? (live ? 5000 : 0);
  if (initial) await writeCalls(initial);
  const timer = every ? setInterval(() => void writeCalls(1), every) : undefined;
  return {
    url: `file://${directory}`,
    directory,
    file,
    columns,
    calls,
    writeCalls,
    makeCalls,
    csvOf,
    appendRaw: (text) => serial(() => appendFile(file, text)),
    rotate: () =>
      serial(async () => {
        const rotated = (await readdir(directory))
          .map((n) => /^Master\.csv\.(\d+)$/.exec(n))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => Number(m[1]))
          .sort((a, b) => b - a);
        for (const n of rotated)
          await rename(join(directory, `Master.csv.${n}`), join(directory, `Master.csv.${n + 1}`));
        await rename(file, join(directory, 'Master.csv.1')).catch(() => undefined);
      }),
    post: (target, cs = calls) =>
      fetch(target, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csvOf(cs) }),
    close: async () => {
      if (timer) clearInterval(timer);
      await queue;
      if (owned) await rm(directory, { recursive: true, force: true });
    },
  };
}
