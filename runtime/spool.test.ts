/** The ingest spool: order, bound, crash recovery (torn tail, SIGKILL mid-append), resumable drain. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OutMessage } from './kafka.js';
import { encodeFrame, Spool, type SpoolRecord } from './spool.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'callhouse-spool-'));
/** Records of one size (for byte arithmetic): key and value of fixed width. */
const fixed = (i: number): SpoolRecord => ({
  topic: 'raw.t',
  key: `k${String(i).padStart(4, '0')}`,
  value: Buffer.from(String(i).padStart(8, '0')),
  headers: { n: String(i) },
});
const rec = (i: number, topic = 'raw.yeastar-s'): SpoolRecord => ({
  topic,
  key: i % 3 === 0 ? null : `call-${i}`,
  value: Buffer.from(`{"n":${i}}`),
  headers: { 'callhouse-id': `id-${i}`, n: String(i) },
});

/** A produce function that records what Kafka would have received. */
function sink(): {
  produce: (topic: string, m: OutMessage[]) => Promise<void>;
  got: { topic: string; key: string | null; value: string; n: string }[];
} {
  const got: { topic: string; key: string | null; value: string; n: string }[] = [];
  return {
    got,
    produce: async (topic, messages) => {
      for (const m of messages) got.push({ topic, key: m.key ?? null, value: String(m.value), n: m.headers!.n! });
    },
  };
}

describe('spool', () => {
  it('drains every record in append order, across topics and segments, with keys and headers intact', async () => {
    const dataDir = tmp();
    const spool = await Spool.open({ dataDir, maxBytes: 64 * 1024 * 1024, segmentBytes: 64 * 1024 });
    // Waves of 200 appends in flight at once (group commit), some with two records on two topics.
    for (let w = 0; w < 2000; w += 200) {
      await Promise.all(
        Array.from({ length: 200 }, (_, j) => w + j).map((i) =>
          spool.append(i % 10 === 0 ? [rec(i), rec(i, 'dead-letters')] : [rec(i)]),
        ),
      );
    }
    expect(readdirSync(join(dataDir, 'spool')).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(1);
    expect(spool.bytes()).toBeGreaterThan(0);
    const s = sink();
    const r = await spool.drain(s.produce);
    expect(r).toEqual({ frames: 2000, records: 2200, setAside: 0 });
    const expected = Array.from({ length: 2000 }, (_, i) =>
      i % 10 === 0 ? [rec(i), rec(i, 'dead-letters')] : [rec(i)],
    ).flat();
    expect(s.got).toEqual(
      expected.map((e) => ({ topic: e.topic, key: e.key, value: String(e.value), n: e.headers!.n })),
    );
    expect(spool.bytes()).toBe(0);
    expect(spool.isEmpty()).toBe(true);
    await spool.close();
  });

  it('refuses an append beyond maxBytes with KAFKA_UNAVAILABLE, and takes appends again after a drain', async () => {
    const dataDir = tmp();
    const frame = encodeFrame([fixed(1)]).length;
    const spool = await Spool.open({ dataDir, maxBytes: frame * 10 });
    const results = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => spool.append([fixed(i)])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(5);
    expect(refused[0]!.reason).toMatchObject({ name: 'CallhouseError', code: 'KAFKA_UNAVAILABLE', retriable: true });
    expect(String(refused[0]!.reason.message)).toMatch(/spool is full/);
    expect(spool.bytes()).toBeLessThanOrEqual(frame * 10);
    const s = sink();
    await spool.drain(s.produce);
    expect(s.got.map((g) => g.n)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await spool.append([fixed(7)]);
    expect(spool.bytes()).toBe(frame);
    await spool.close();
  });

  it('drops a torn last entry after a crash, and only that entry', async () => {
    const dataDir = tmp();
    const spool = await Spool.open({ dataDir, maxBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) await spool.append([rec(i)]);
    await spool.close();
    const seg = join(
      dataDir,
      'spool',
      readdirSync(join(dataDir, 'spool')).find((f) => f.endsWith('.seg'))!,
    );
    const size = statSync(seg).size;
    // The crash cut the last frame's payload short by 3 bytes…
    truncateSync(seg, size - 3);
    let again = await Spool.open({ dataDir, maxBytes: 1 << 20 });
    let s = sink();
    await again.drain(s.produce);
    expect(s.got.map((g) => g.n)).toEqual(['0', '1', '2', '3']);
    await again.close();
    // …or left only part of a frame header.
    const d2 = tmp();
    const sp2 = await Spool.open({ dataDir: d2, maxBytes: 1 << 20 });
    for (let i = 0; i < 3; i++) await sp2.append([rec(i)]);
    await sp2.close();
    const seg2 = join(
      d2,
      'spool',
      readdirSync(join(d2, 'spool')).find((f) => f.endsWith('.seg'))!,
    );
    writeFileSync(seg2, Buffer.concat([readFileSync(seg2), encodeFrame([rec(3)]).subarray(0, 7)]));
    again = await Spool.open({ dataDir: d2, maxBytes: 1 << 20 });
    s = sink();
    await again.drain(s.produce);
    expect(s.got.map((g) => g.n)).toEqual(['0', '1', '2']);
    await again.close();
  });

  it('never drops a complete entry that fails its checksum: the bytes are kept aside and reported', async () => {
    const dataDir = tmp();
    const spool = await Spool.open({ dataDir, maxBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) await spool.append([fixed(i)]);
    await spool.close();
    const seg = join(
      dataDir,
      'spool',
      readdirSync(join(dataDir, 'spool')).find((f) => f.endsWith('.seg'))!,
    );
    const buf = readFileSync(seg);
    const frame = encodeFrame([fixed(0)]).length;
    buf[frame * 2 + 20] = buf[frame * 2 + 20]! ^ 0xff; // a flipped bit inside the third frame
    writeFileSync(seg, buf);
    const warnings: string[] = [];
    const again = await Spool.open({ dataDir, maxBytes: 1 << 20, warn: (m) => warnings.push(m) });
    const s = sink();
    await again.drain(s.produce);
    expect(s.got.map((g) => g.n)).toEqual(['0', '1']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/checksum mismatch at byte \d+; \d+ bytes kept in .*corrupt/);
    const kept = readdirSync(join(dataDir, 'spool', 'corrupt'));
    expect(kept).toHaveLength(1);
    expect(statSync(join(dataDir, 'spool', 'corrupt', kept[0]!)).size).toBe(buf.length - frame * 2);
    await again.close();
  });

  it('loses no acknowledged entry when the writing process is killed with SIGKILL mid-append', async () => {
    const dataDir = tmp();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/reliability/spool-writer.ts', dataDir, '300'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const acked = new Set<number>();
    await new Promise<void>((resolve, reject) => {
      child.once('exit', () => reject(new Error(`writer exited early: ${out.slice(-500)}`)));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        for (const m of d.toString().matchAll(/acked (\d+)/g)) acked.add(Number(m[1]));
        if (acked.size >= 600) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const spool = await Spool.open({ dataDir, maxBytes: 1024 * 1024 * 1024 });
    const s = sink();
    await spool.drain(s.produce);
    const got = s.got.map((g) => Number(g.n));
    // In order, without gaps or duplicates, and containing every entry the writer saw acknowledged
    // (plus perhaps entries fsynced just before the kill whose acknowledgement it never printed).
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
    expect(got.length).toBeGreaterThanOrEqual(Math.max(...acked) + 1);
    expect(readdirSync(join(dataDir, 'spool')).filter((f) => f.endsWith('.seg'))).toEqual([]);
    await spool.close();
  }, 60_000);

  it('resumes an interrupted drain after a restart without replaying what Kafka acknowledged', async () => {
    const dataDir = tmp();
    let spool = await Spool.open({ dataDir, maxBytes: 64 << 20, segmentBytes: 64 * 1024 });
    for (let i = 0; i < 3000; i += 100)
      await Promise.all(Array.from({ length: 100 }, (_, j) => spool.append([rec(i + j)])));
    const s = sink();
    let calls = 0;
    // Kafka goes away again after a few batches.
    const flaky = async (topic: string, m: OutMessage[]): Promise<void> => {
      if (++calls > 3) throw new Error('broker gone');
      await s.produce(topic, m);
    };
    await expect(spool.drain(flaky)).rejects.toThrow('broker gone');
    const first = s.got.length;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(3000);
    await spool.close();
    // The process restarts; Kafka is back.
    spool = await Spool.open({ dataDir, maxBytes: 64 << 20, segmentBytes: 64 * 1024 });
    await spool.drain(s.produce);
    expect(s.got.map((g) => Number(g.n))).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    // A second drain, and a drain after another restart, find nothing: no duplicates.
    expect(await spool.drain(s.produce)).toEqual({ frames: 0, records: 0, setAside: 0 });
    await spool.close();
    spool = await Spool.open({ dataDir, maxBytes: 64 << 20 });
    expect(spool.bytes()).toBe(0);
    expect(await spool.drain(s.produce)).toEqual({ frames: 0, records: 0, setAside: 0 });
    expect(s.got).toHaveLength(3000);
    expect(readdirSync(join(dataDir, 'spool')).filter((f) => f !== 'corrupt')).toEqual([]);
    await spool.close();
  });

  it('delivers appends made while a drain runs, in order, exactly once', async () => {
    const dataDir = tmp();
    const spool = await Spool.open({ dataDir, maxBytes: 64 << 20, segmentBytes: 64 * 1024 });
    for (let i = 0; i < 500; i++) await spool.append([rec(i)]);
    const s = sink();
    let next = 500;
    const slow = async (topic: string, m: OutMessage[]): Promise<void> => {
      if (next < 1000) await Promise.all(Array.from({ length: 100 }, () => spool.append([rec(next++)])));
      await s.produce(topic, m);
    };
    await spool.drain(slow);
    expect(s.got.map((g) => Number(g.n))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(spool.isEmpty()).toBe(true);
    await spool.close();
  });
});
