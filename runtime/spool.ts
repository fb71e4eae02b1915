/**
 * The ingest spool: where a report goes when Kafka cannot take it, so that the vendor still gets
 * its 200 once the report is on local disk (fsynced), and Kafka gets it later, in order.
 *
 * Layout: `<dataDir>/spool/<seq>.seg` segment files, appended to and never rewritten, plus a
 * `<seq>.ack` file holding how many bytes of that segment Kafka has acknowledged. One `append()`
 * is one frame (all records of one request: all or nothing):
 *
 *   magic u32 'CHSP' | payload length u32 | crc32(payload) u32 | payload
 *   payload = count u32, then per record: topic (u16 len + utf8), key (i32 len, -1 = null),
 *             value (u32 len + bytes), headers (u32 len + JSON of string → string)
 *
 * Crash safety: a frame is acknowledged to the caller only after fsync. At open, a torn frame at
 * the end of the newest segment (header or payload cut short) is truncated away: it was never
 * acknowledged. A frame that is complete but fails its checksum is never dropped silently: the
 * bytes from there on are moved to `spool/corrupt/` and reported. Draining produces frames in
 * order and records the acknowledged offset after each produce, so a crash mid-drain replays at
 * most the one batch in flight (at-least-once; the warehouse deduplicates redelivered calls); a
 * segment is deleted only when all of it is acknowledged.
 *
 * Poison: a frame Kafka refuses for good (KAFKA_REJECTED: too large for its topic, invalid, not
 * authorised), or one it keeps refusing with an answer of its own (`maxAttempts` broker answers in
 * a row; a broker that cannot be reached counts nothing), is set aside so the drain moves on: its
 * records go to dead letters with the reason (replayable with `callhouse dlq replay`) or, when
 * even that is refused, into `spool/set-aside/` as a one-frame segment beside a `.reason` file.
 * Each is reported (warning, metric, the connector's status line).
 *
 * A write that fails or writes short is an error for every append in it (the caller answers 503),
 * never an acknowledgement; the torn bytes are cut off.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  truncate,
  unlink,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { asCallhouseError, CallhouseError } from './errors.js';
import type { OutMessage } from './kafka.js';

export interface SpoolRecord extends OutMessage {
  topic: string;
}

export interface SpoolOptions {
  /** The data directory; the spool lives in `<dataDir>/spool/`. */
  dataDir: string;
  /** Most bytes on disk; an append beyond it throws KAFKA_UNAVAILABLE (answer 503). */
  maxBytes: number;
  /** A segment is sealed once it holds this many bytes (default 8 MiB, at most maxBytes / 4). */
  segmentBytes?: number;
  /** Reported problems (corrupt frames moved aside, frames set aside). */
  warn?: (message: string) => void;
  /** Broker answers in a row after which a frame that keeps failing is set aside (default 10). */
  maxAttempts?: number;
  /** Opens a segment for appending (the file boundary, for tests of failing disks). */
  openFile?: (path: string) => Promise<SpoolFile>;
}

/** What the spool does with an open segment. */
export interface SpoolFile {
  write(buf: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface DrainResult {
  frames: number;
  records: number;
  /** Frames set aside (dead letters or set-aside files) instead of delivered. */
  setAside: number;
}

/** Where a set-aside frame went, for the caller's metric and status. */
export interface SetAside {
  to: 'dead-letters' | 'file';
  records: SpoolRecord[];
  error: CallhouseError;
  file?: string;
}

export interface DrainOptions {
  /** Dead-letters a set-aside frame's records; a throw sends them to a set-aside file instead. */
  deadLetter?: (records: SpoolRecord[], error: CallhouseError) => Promise<void>;
  onSetAside?: (s: SetAside) => void;
}

type Produce = (topic: string, messages: OutMessage[]) => Promise<void>;

const MAGIC = 0x43485350; // 'CHSP'
const HEADER = 12;
const MAX_FRAME = 256 * 1024 * 1024;
const DRAIN_BATCH_BYTES = 1024 * 1024;
const DRAIN_BATCH_RECORDS = 500;

const segName = (seq: number): string => `${String(seq).padStart(12, '0')}.seg`;
const ackName = (seq: number): string => `${String(seq).padStart(12, '0')}.ack`;

/** Encodes the records of one append as one checksummed frame. */
export function encodeFrame(records: SpoolRecord[]): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  parts.push(u32(records.length));
  for (const r of records) {
    const topic = Buffer.from(r.topic, 'utf8');
    const t = Buffer.alloc(2);
    t.writeUInt16BE(topic.length);
    parts.push(t, topic);
    const key = r.key == null ? null : Buffer.from(r.key, 'utf8');
    const k = Buffer.alloc(4);
    k.writeInt32BE(key ? key.length : -1);
    parts.push(k);
    if (key) parts.push(key);
    const value = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value, 'utf8');
    parts.push(u32(value.length), value);
    const headers = Buffer.from(JSON.stringify(r.headers ?? {}), 'utf8');
    parts.push(u32(headers.length), headers);
  }
  const payload = Buffer.concat(parts);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(MAGIC, 0);
  head.writeUInt32BE(payload.length, 4);
  head.writeUInt32BE(crc32(payload), 8);
  return Buffer.concat([head, payload]);
}

function decodePayload(p: Buffer): SpoolRecord[] {
  let at = 0;
  const count = p.readUInt32BE(at);
  at += 4;
  const out: SpoolRecord[] = [];
  for (let i = 0; i < count; i++) {
    const tl = p.readUInt16BE(at);
    const topic = p.toString('utf8', at + 2, at + 2 + tl);
    at += 2 + tl;
    const kl = p.readInt32BE(at);
    at += 4;
    const key = kl < 0 ? null : p.toString('utf8', at, at + kl);
    at += Math.max(kl, 0);
    const vl = p.readUInt32BE(at);
    const value = Buffer.from(p.subarray(at + 4, at + 4 + vl));
    at += 4 + vl;
    const hl = p.readUInt32BE(at);
    const headers = JSON.parse(p.toString('utf8', at + 4, at + 4 + hl)) as Record<string, string>;
    at += 4 + hl;
    out.push({ topic, key, value, headers });
  }
  return out;
}

type Scan =
  | { kind: 'frame'; records: SpoolRecord[]; end: number }
  | { kind: 'end' }
  | { kind: 'torn' }
  | { kind: 'corrupt'; reason: string };

/** Reads the frame at `at`: a whole valid frame, the clean end, a torn (incomplete) tail, or corruption. */
function scanFrame(buf: Buffer, at: number): Scan {
  if (at === buf.length) return { kind: 'end' };
  if (buf.length - at < HEADER) return { kind: 'torn' };
  if (buf.readUInt32BE(at) !== MAGIC) return { kind: 'corrupt', reason: 'bad frame marker' };
  const len = buf.readUInt32BE(at + 4);
  if (len > MAX_FRAME) return { kind: 'corrupt', reason: `frame length ${len} out of range` };
  const end = at + HEADER + len;
  if (end > buf.length) return { kind: 'torn' };
  const payload = buf.subarray(at + HEADER, end);
  if (crc32(payload) !== buf.readUInt32BE(at + 8)) return { kind: 'corrupt', reason: 'checksum mismatch' };
  try {
    return { kind: 'frame', records: decodePayload(payload), end };
  } catch (e) {
    return { kind: 'corrupt', reason: `undecodable frame: ${(e as Error).message}` };
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

interface Frame {
  start: number;
  end: number;
  records: SpoolRecord[];
}

/** A list of frames' records as consecutive runs of one topic, in order. */
function runs(frames: Frame[]): { topic: string; messages: OutMessage[] }[] {
  const out: { topic: string; messages: OutMessage[] }[] = [];
  for (const f of frames)
    for (const r of f.records) {
      const last = out.at(-1);
      const m: OutMessage = { key: r.key ?? null, value: r.value, headers: r.headers ?? {} };
      if (last && last.topic === r.topic) last.messages.push(m);
      else out.push({ topic: r.topic, messages: [m] });
    }
  return out;
}

interface Pending {
  frame: Buffer;
  resolve(): void;
  reject(e: unknown): void;
}

export class Spool {
  readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly warn: (message: string) => void;
  /** Sealed segments (no longer appended to), oldest first. */
  private sealed: number[] = [];
  private active: { seq: number; fh: SpoolFile; size: number } | undefined;
  private readonly maxAttempts: number;
  private readonly openFile: (path: string) => Promise<SpoolFile>;
  /** Per frame (`seq:offset`): broker answers in a row that refused it. */
  private readonly failures = new Map<string, number>();
  private nextSeq = 1;
  private total = 0;
  private reserved = 0;
  private queue: Pending[] = [];
  private flushing = false;
  private chain: Promise<unknown> = Promise.resolve();
  private draining: Promise<DrainResult> | undefined;
  private closed = false;

  private constructor(opts: SpoolOptions) {
    this.dir = join(opts.dataDir, 'spool');
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = Math.max(
      64 * 1024,
      Math.min(opts.segmentBytes ?? 8 * 1024 * 1024, Math.floor(opts.maxBytes / 4)),
    );
    this.warn = opts.warn ?? (() => undefined);
    this.maxAttempts = opts.maxAttempts ?? 10;
    this.openFile = opts.openFile ?? ((path) => open(path, 'w') as Promise<FileHandle>);
  }

  /** Opens (or recovers after a crash) the spool of a data directory. */
  static async open(opts: SpoolOptions): Promise<Spool> {
    const s = new Spool(opts);
    await s.recover();
    return s;
  }

  private async recover(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const seqs = (await readdir(this.dir))
      .filter((f) => /^\d{12}\.seg$/.test(f))
      .map((f) => Number(f.slice(0, 12)))
      .sort((a, b) => a - b);
    for (const seq of seqs) {
      const path = join(this.dir, segName(seq));
      const buf = await readFile(path);
      let at = await this.ackedOffset(seq);
      for (;;) {
        const f = scanFrame(buf, at);
        if (f.kind === 'frame') {
          at = f.end;
          continue;
        }
        if (f.kind === 'torn') {
          // Cut short by a crash before its fsync returned: never acknowledged, safe to drop.
          await truncate(path, at);
        } else if (f.kind === 'corrupt') {
          await this.quarantine(seq, buf, at, f.reason);
        }
        break;
      }
      const size = (await stat(path)).size;
      if (size === 0 || (await this.ackedOffset(seq)) >= size) {
        await this.removeSegment(seq);
        continue;
      }
      this.sealed.push(seq);
      this.total += size;
    }
    this.nextSeq = (seqs.at(-1) ?? 0) + 1;
  }

  /** Keeps the bytes of a complete frame that fails its checksum (and all after it) aside. */
  private async quarantine(seq: number, buf: Buffer, at: number, reason: string): Promise<void> {
    const dir = join(this.dir, 'corrupt');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${segName(seq)}.${at}.bin`);
    await writeFile(file, buf.subarray(at), { flush: true });
    await truncate(join(this.dir, segName(seq)), at);
    this.warn(`spool segment ${segName(seq)}: ${reason} at byte ${at}; ${buf.length - at} bytes kept in ${file}`);
  }

  private async ackedOffset(seq: number): Promise<number> {
    try {
      return Number((await readFile(join(this.dir, ackName(seq)), 'utf8')).trim()) || 0;
    } catch {
      return 0;
    }
  }

  private async writeAck(seq: number, offset: number): Promise<void> {
    const tmp = join(this.dir, `${ackName(seq)}.tmp`);
    await writeFile(tmp, String(offset), { flush: true });
    await rename(tmp, join(this.dir, ackName(seq)));
  }

  private async removeSegment(seq: number): Promise<void> {
    await unlink(join(this.dir, ackName(seq))).catch(() => undefined);
    await unlink(join(this.dir, segName(seq))).catch(() => undefined);
    fsyncDir(this.dir);
  }

  /** Bytes on disk (for the metric and the bound). */
  bytes(): number {
    return this.total;
  }

  /** Whether anything waits to be drained. */
  isEmpty(): boolean {
    return this.total === 0 && this.reserved === 0;
  }

  /**
   * Writes the records as one frame and resolves once it is fsynced. Throws KAFKA_UNAVAILABLE
   * when the spool would grow beyond maxBytes: the caller answers 503 and the vendor retries.
   */
  append(records: SpoolRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new CallhouseError('KAFKA_UNAVAILABLE', 'the spool is closed'));
    if (records.length === 0) return Promise.resolve();
    const frame = encodeFrame(records);
    if (this.total + this.reserved + frame.length > this.maxBytes) {
      return Promise.reject(
        new CallhouseError(
          'KAFKA_UNAVAILABLE',
          `Kafka is unavailable and the ingest spool is full (${this.total} of ${this.maxBytes} bytes)`,
        ),
      );
    }
    this.reserved += frame.length;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        void this.serial(() => this.flush());
      }
    });
  }

  /** Group commit: every frame queued so far is written with one write and one fsync. */
  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    const bytes = batch.reduce((n, p) => n + p.frame.length, 0);
    try {
      if (this.active && this.active.size >= this.segmentBytes) await this.seal();
      const a = this.active ?? (await this.openActive());
      const buf = batch.length === 1 ? batch[0]!.frame : Buffer.concat(batch.map((p) => p.frame));
      for (let done = 0; done < buf.length;) {
        const { bytesWritten } = await a.fh.write(buf, done, buf.length - done, a.size + done);
        if (bytesWritten <= 0) throw new Error(`wrote ${done} of ${buf.length} bytes (no space left?)`);
        done += bytesWritten;
      }
      await a.fh.sync();
      a.size += buf.length;
      this.total += bytes;
      this.reserved -= bytes;
      for (const p of batch) p.resolve();
    } catch (e) {
      this.reserved -= bytes;
      // A write that failed half way leaves a torn frame: cut it off so later frames stay readable.
      if (this.active) await this.active.fh.truncate(this.active.size).catch(() => undefined);
      const err = new CallhouseError(
        'KAFKA_UNAVAILABLE',
        `Kafka is unavailable and the spool cannot be written: ${(e as Error).message}`,
        { cause: e },
      );
      for (const p of batch) p.reject(err);
    }
    // Frames queued meanwhile go in the next turn, so that a drain's seal can run in between.
    if (this.queue.length > 0) void this.serial(() => this.flush());
    else this.flushing = false;
  }

  private async openActive(): Promise<{ seq: number; fh: SpoolFile; size: number }> {
    const seq = this.nextSeq++;
    const fh = await this.openFile(join(this.dir, segName(seq)));
    fsyncDir(this.dir);
    this.active = { seq, fh, size: 0 };
    return this.active;
  }

  private async seal(): Promise<void> {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    await a.fh.close();
    if (a.size === 0) await this.removeSegment(a.seq);
    else this.sealed.push(a.seq);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Produces every spooled record, in order, through `produce` (which must resolve only once Kafka
   * acknowledged). Rejects with produce's error, keeping what is not yet acknowledged for the next
   * drain; a poison frame is set aside instead (see the top of this file). Concurrent calls share
   * one drain.
   */
  drain(produce: Produce, opts: DrainOptions = {}): Promise<DrainResult> {
    this.draining ??= this.drainAll(produce, opts).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainAll(produce: Produce, opts: DrainOptions): Promise<DrainResult> {
    const result: DrainResult = { frames: 0, records: 0, setAside: 0 };
    for (;;) {
      // Frames appended until now move to a sealed segment; later appends start a new one.
      await this.serial(() => this.seal());
      const seq = this.sealed[0];
      if (seq === undefined) return result;
      await this.drainSegment(seq, produce, opts, result);
      this.sealed.shift();
      const size = (await stat(join(this.dir, segName(seq)))).size;
      await this.removeSegment(seq);
      this.total -= size;
    }
  }

  private async drainSegment(seq: number, produce: Produce, opts: DrainOptions, result: DrainResult): Promise<void> {
    const path = join(this.dir, segName(seq));
    const buf = await readFile(path);
    let at = await this.ackedOffset(seq);
    let frames: Frame[] = [];
    let batchBytes = 0;
    let batchRecords = 0;
    const deliver = async (list: Frame[]): Promise<void> => {
      for (const run of runs(list)) await produce(run.topic, run.messages);
    };
    const send = async (upTo: number): Promise<void> => {
      if (frames.length === 0) return;
      const list = frames;
      frames = [];
      batchBytes = 0;
      batchRecords = 0;
      try {
        await deliver(list);
      } catch {
        // Find the frame at fault: one at a time, each acknowledged on its own.
        for (const f of list) {
          try {
            await deliver([f]);
            this.failures.delete(`${seq}:${f.start}`);
            result.frames += 1;
            result.records += f.records.length;
          } catch (e) {
            if (!this.isPoison(seq, f.start, e)) {
              await this.writeAck(seq, f.start);
              throw e;
            }
            await this.setAside(seq, f, asCallhouseError(e), opts);
            result.setAside += 1;
          }
          await this.writeAck(seq, f.end);
        }
        return;
      }
      for (const f of list) this.failures.delete(`${seq}:${f.start}`);
      await this.writeAck(seq, upTo);
      result.frames += list.length;
      result.records += list.reduce((n, f) => n + f.records.length, 0);
    };
    for (;;) {
      const f = scanFrame(buf, at);
      if (f.kind !== 'frame') {
        await send(at);
        if (f.kind === 'torn' || f.kind === 'corrupt')
          await this.quarantine(seq, buf, at, f.kind === 'torn' ? 'incomplete frame in a sealed segment' : f.reason);
        return;
      }
      frames.push({ start: at, end: f.end, records: f.records });
      batchBytes += f.end - at;
      batchRecords += f.records.length;
      at = f.end;
      if (batchBytes >= DRAIN_BATCH_BYTES || batchRecords >= DRAIN_BATCH_RECORDS) await send(at);
    }
  }

  /**
   * Whether a frame is to be set aside: Kafka refused it for good, or answered it with a refusal
   * `maxAttempts` times in a row. An error without a broker answer (Kafka unreachable) is no
   * evidence against the frame and counts nothing.
   */
  private isPoison(seq: number, start: number, e: unknown): boolean {
    const err = asCallhouseError(e);
    if (err.code === 'KAFKA_REJECTED') return true;
    if (err.details?.kafka === undefined) return false;
    const key = `${seq}:${start}`;
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return n >= this.maxAttempts;
  }

  private async setAside(seq: number, f: Frame, error: CallhouseError, opts: DrainOptions): Promise<void> {
    this.failures.delete(`${seq}:${f.start}`);
    const where = `spool segment ${segName(seq)} at byte ${f.start}`;
    try {
      if (!opts.deadLetter) throw new Error('no dead-letter path');
      await opts.deadLetter(f.records, error);
      this.warn(`${where}: ${f.records.length} record(s) refused by Kafka, sent to dead letters: ${error.message}`);
      opts.onSetAside?.({ to: 'dead-letters', records: f.records, error });
    } catch (de) {
      const dir = join(this.dir, 'set-aside');
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${segName(seq).replace('.seg', '')}-${f.start}.seg`);
      await writeFile(file, encodeFrame(f.records), { flush: true });
      await writeFile(`${file}.reason`, `${error.code}: ${error.message}\ndead letter: ${(de as Error).message}\n`, {
        flush: true,
      });
      this.warn(`${where}: ${f.records.length} record(s) refused by Kafka, kept in ${file}: ${error.message}`);
      opts.onSetAside?.({ to: 'file', records: f.records, error, file });
    }
  }

  /** Waits for pending appends and closes the active segment. */
  async close(): Promise<void> {
    this.closed = true;
    await this.serial(() => this.seal());
    while (this.flushing) await this.serial(() => this.seal());
  }
}
