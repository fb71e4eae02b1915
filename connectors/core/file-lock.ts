/**
 * A lock shared by every callhouse process on one data directory (a `backfill` beside a running
 * `start`): a file created exclusively, holding the owner's pid. A lock whose owner is gone, or
 * that is older than `staleMs`, is taken over.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withFileLock<T>(
  dir: string | undefined,
  name: string,
  sleep: (ms: number) => Promise<void>,
  fn: () => Promise<T>,
  staleMs = 15 * 60_000,
): Promise<T> {
  if (!dir) return fn();
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')) || 0);
      const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now());
      if ((owner > 0 && !alive(owner)) || age > staleMs) {
        await rm(path, { force: true });
        continue;
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
