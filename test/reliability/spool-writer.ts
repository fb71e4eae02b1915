/**
 * A child process for the spool crash test: appends numbered frames as fast as it can and prints
 * `acked <n>` once each append has resolved (fsynced), until it is killed.
 * Usage: node --import tsx test/reliability/spool-writer.ts <dataDir> <valueBytes>
 */
import { writeSync } from 'node:fs';
import { Spool } from '../../runtime/spool.js';

const [dataDir, size] = process.argv.slice(2);
const spool = await Spool.open({ dataDir: dataDir!, maxBytes: 1024 * 1024 * 1024, segmentBytes: 256 * 1024 });
const pad = 'x'.repeat(Number(size ?? '100'));
for (let n = 0; ; n++) {
  // Two appends in flight at once, so group commits and torn multi-frame writes both happen.
  await Promise.all(
    [n * 2, n * 2 + 1].map(async (i) => {
      await spool.append([
        { topic: 'raw.t', key: `k${i}`, value: Buffer.from(`${i}:${pad}`), headers: { n: String(i) } },
      ]);
      writeSync(1, `acked ${i}\n`);
    }),
  );
}
