/**
 * The spool never holds a poison report: frames Kafka refuses for good, or keeps refusing, are set
 * aside and the drain moves on; a write that fails or writes short is never an acknowledgement.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CallhouseError } from './errors.js';
import type { OutMessage } from './kafka.js';
import { rejected } from './kafka-limits.js';
import { Spool, type SetAside, type SpoolFile, type SpoolRecord } from './spool.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'callhouse-spool-poison-'));
const rec = (n: string, size = 10): SpoolRecord => ({
  topic: 'raw.yeastar-s',
  key: `call-${n}`,
  value: Buffer.from(n.padEnd(size, '.')),
  headers: { n, 'callhouse-connector': 'pbx' },
});

/** Kafka as a test sees it: refuses what `refuse` says, records what it took. */
function broker(refuse: (m: OutMessage) => Error | undefined) {
  const got: string[] = [];
  return {
    got,
    produce: async (_topic: string, messages: OutMessage[]): Promise<void> => {
      for (const m of messages) {
        const e = refuse(m);
        if (e) throw e;
      }
      for (const m of messages) got.push(m.headers!.n!);
    },
  };
}

describe('spool poison', () => {
  it('dead-letters a frame Kafka refuses for good and delivers the frames after it', async () => {
    const spool = await Spool.open({ dataDir: tmp(), maxBytes: 1 << 20 });
    for (const n of ['1', '2', 'big', '3']) await spool.append([rec(n, n === 'big' ? 5000 : 10)]);
    const b = broker((m) =>
      m.value.length > 4000 ? rejected('MESSAGE_TOO_LARGE', 'larger than max.message.bytes') : undefined,
    );
    const letters: { n: string; code: string }[] = [];
    const reported: SetAside[] = [];
    const r = await spool.drain(b.produce, {
      deadLetter: async (records, error) => {
        for (const x of records) letters.push({ n: x.headers!.n!, code: error.code });
      },
      onSetAside: (s) => reported.push(s),
    });
    expect(b.got).toEqual(['1', '2', '3']);
    expect(letters).toEqual([{ n: 'big', code: 'KAFKA_REJECTED' }]);
    expect(reported.map((s) => s.to)).toEqual(['dead-letters']);
    expect(r).toEqual({ frames: 3, records: 3, setAside: 1 });
    expect(spool.isEmpty()).toBe(true);
    await spool.close();
  });

  it('keeps a frame that not even dead letters take in a set-aside file with its reason', async () => {
    const dataDir = tmp();
    const spool = await Spool.open({ dataDir, maxBytes: 1 << 20 });
    for (const n of ['1', 'big', '2']) await spool.append([rec(n, n === 'big' ? 5000 : 10)]);
    const b = broker((m) => (m.value.length > 4000 ? rejected('MESSAGE_TOO_LARGE', 'too large') : undefined));
    const warnings: string[] = [];
    const r = await spool.drain(b.produce, {
      deadLetter: async () => {
        throw rejected('MESSAGE_TOO_LARGE', 'the dead letter is larger still');
      },
    });
    expect(b.got).toEqual(['1', '2']);
    expect(r.setAside).toBe(1);
    const dir = join(dataDir, 'spool', 'set-aside');
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(readFileSync(join(dir, files[1]!), 'utf8')).toMatch(/^KAFKA_REJECTED: too large\ndead letter: the dead/);
    // The set-aside file is a spool segment of one frame: a spool opened on it drains the record.
    const replay = tmp();
    const again = await Spool.open({ dataDir: replay, maxBytes: 1 << 20 });
    await again.close();
    const { copyFileSync } = await import('node:fs');
    copyFileSync(join(dir, files[0]!), join(replay, 'spool', '000000000001.seg'));
    const reopened = await Spool.open({ dataDir: replay, maxBytes: 1 << 20, warn: (m) => warnings.push(m) });
    const all = broker(() => undefined);
    await reopened.drain(all.produce);
    expect(all.got).toEqual(['big']);
    expect(warnings).toEqual([]);
    await reopened.close();
    await spool.close();
  });

  it('sets a frame aside after maxAttempts broker refusals in a row, but never for an unreachable broker', async () => {
    const spool = await Spool.open({ dataDir: tmp(), maxAttempts: 3, maxBytes: 1 << 20 });
    for (const n of ['1', 'gone', '2']) await spool.append([rec(n)]);
    let reachable = false;
    const b = broker((m) => {
      if (!reachable) return new CallhouseError('KAFKA_UNAVAILABLE', 'Connection refused');
      // The broker answers, retriably, and keeps doing so for this one record (a deleted topic).
      if (m.headers!.n === 'gone')
        return new CallhouseError('KAFKA_UNAVAILABLE', 'unknown topic', {
          details: { kafka: 'UNKNOWN_TOPIC_OR_PARTITION' },
        });
      return undefined;
    });
    const letters: string[] = [];
    const deadLetter = async (records: SpoolRecord[]): Promise<void> => {
      for (const x of records) letters.push(x.headers!.n!);
    };
    // Ten drains while Kafka cannot be reached: nothing is set aside.
    for (let i = 0; i < 10; i++) await expect(spool.drain(b.produce, { deadLetter })).rejects.toThrow(/refused/);
    expect(letters).toEqual([]);
    reachable = true;
    await expect(spool.drain(b.produce, { deadLetter })).rejects.toThrow(/unknown topic/);
    await expect(spool.drain(b.produce, { deadLetter })).rejects.toThrow(/unknown topic/);
    expect(b.got).toEqual(['1']);
    const r = await spool.drain(b.produce, { deadLetter });
    expect(letters).toEqual(['gone']);
    expect(b.got).toEqual(['1', '2']);
    expect(r).toEqual({ frames: 1, records: 1, setAside: 1 });
    expect(spool.isEmpty()).toBe(true);
    await spool.close();
  });

  it('rejects every append of a write that fails or writes short, acknowledges none, and recovers', async () => {
    const dataDir = tmp();
    let mode: 'ok' | 'short' | 'enospc' = 'ok';
    const openFile = async (path: string): Promise<SpoolFile> => {
      const fh = await open(path, 'w');
      return {
        write: async (buf, offset, length, position) => {
          if (mode === 'enospc') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          if (mode === 'short') {
            // Half of the bytes reach the disk, then the disk is full.
            const half = Math.floor(length / 2);
            if (half === 0) return { bytesWritten: 0 };
            mode = 'enospc';
            return fh.write(buf, offset, half, position);
          }
          return fh.write(buf, offset, length, position);
        },
        sync: () => fh.sync(),
        truncate: (n) => fh.truncate(n),
        close: () => fh.close(),
      };
    };
    const spool = await Spool.open({ dataDir, maxBytes: 1 << 20, openFile });
    await spool.append([rec('1')]);
    mode = 'short';
    const results = await Promise.allSettled([spool.append([rec('2')]), spool.append([rec('3')])]);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'KAFKA_UNAVAILABLE' });
    mode = 'ok';
    await spool.append([rec('4')]);
    await spool.close();
    // What a restart finds: the acknowledged frames, and nothing of the refused ones.
    const again = await Spool.open({ dataDir, maxBytes: 1 << 20 });
    const b = broker(() => undefined);
    await again.drain(b.produce);
    expect(b.got).toEqual(['1', '4']);
    await again.close();
  });
});
