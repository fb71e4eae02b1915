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
import { CallhouseError } from './errors.js';
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
  /** Reported problems (corrupt frames moved aside). */
  warn?: (message: string) => void;
}

export interface DrainResult {
  frames: number;
  records: number;
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
  private active: { seq: number; fh: FileHandle; size: number } | undefined;
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
      await a.fh.write(buf, 0, buf.length, a.size);
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

  private async openActive(): Promise<{ seq: number; fh: FileHandle; size: number }> {
    const seq = this.nextSeq++;
    const fh = await open(join(this.dir, segName(seq)), 'w');
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
   * drain. Concurrent calls share one drain.
   */
  drain(produce: Produce): Promise<DrainResult> {
    this.draining ??= this.drainAll(produce).finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  private async drainAll(produce: Produce): Promise<DrainResult> {
    const result: DrainResult = { frames: 0, records: 0 };
    for (;;) {
      // Frames appended until now move to a sealed segment; later appends start a new one.
      await this.serial(() => this.seal());
      const seq = this.sealed[0];
      if (seq === undefined) return result;
      await this.drainSegment(seq, produce, result);
      this.sealed.shift();
      const size = (await stat(join(this.dir, segName(seq)))).size;
      await this.removeSegment(seq);
      this.total -= size;
    }
  }

  private async drainSegment(seq: number, produce: Produce, result: DrainResult): Promise<void> {
    const path = join(this.dir, segName(seq));
    const buf = await readFile(path);
    let at = await this.ackedOffset(seq);
    let batch: { topic: string; messages: OutMessage[] }[] = [];
    let batchBytes = 0;
    let batchRecords = 0;
    let batchFrames = 0;
    const send = async (upTo: number): Promise<void> => {
      if (batchFrames === 0) return;
      for (const run of batch) await produce(run.topic, run.messages);
      await this.writeAck(seq, upTo);
      result.frames += batchFrames;
      result.records += batchRecords;
      batch = [];
      batchBytes = 0;
      batchRecords = 0;
      batchFrames = 0;
    };
    for (;;) {
      const f = scanFrame(buf, at);
      if (f.kind !== 'frame') {
        if (f.kind === 'torn' || f.kind === 'corrupt') {
          await send(at);
          await this.quarantine(seq, buf, at, f.kind === 'torn' ? 'incomplete frame in a sealed segment' : f.reason);
        } else await send(at);
        return;
      }
      for (const r of f.records) {
        const last = batch.at(-1);
        const m: OutMessage = { key: r.key ?? null, value: r.value, headers: r.headers ?? {} };
        if (last && last.topic === r.topic) last.messages.push(m);
        else batch.push({ topic: r.topic, messages: [m] });
      }
      batchBytes += f.end - at;
      batchRecords += f.records.length;
      batchFrames += 1;
      at = f.end;
      if (batchBytes >= DRAIN_BATCH_BYTES || batchRecords >= DRAIN_BATCH_RECORDS) await send(at);
    }
  }

  /** Waits for pending appends and closes the active segment. */
  async close(): Promise<void> {
    this.closed = true;
    await this.serial(() => this.seal());
    while (this.flushing) await this.serial(() => this.seal());
  }
}
