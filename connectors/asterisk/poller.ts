/**
 * Poll side: the CDR CSV files of a directory (`/var/log/asterisk/cdr-csv`), read by new complete
 * lines. The cursor is the file being read and the byte offset after its last complete line:
 * `{file, ino, offset, mtime}`. Files are taken oldest first (by modification time, the active
 * file last on a tie); the cursor's file is found again by inode, so a rename by logrotate
 * (`Master.csv` → `Master.csv.1`) is followed to its end before the new `Master.csv` is read from 0.
 * A file shorter than the cursor's offset was truncated (copytruncate) and is read from 0.
 * Files older than the cursor's file are done; without a cursor every file is read.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { CallhouseError } from '../../runtime/errors.js';
import type { Cursor, PollBatch, PollContext, PollWindow } from '../core/contract.js';
import { columnsFor } from '../../transforms/asterisk/columns.js';
import { decodeCsv, isHeader, parseLine, payloadsOf, rowOf, splitLines } from '../../transforms/asterisk/csv.js';
import type { AsteriskConfig } from './config.js';

interface FileInfo {
  name: string;
  ino: number;
  size: number;
  mtime: number;
}

export async function* readDirectory(
  ctx: PollContext<AsteriskConfig>,
  cursor: Cursor | null,
  window?: PollWindow,
): AsyncIterable<PollBatch> {
  const c = ctx.config;
  if (!c.directory) return;
  const files = await listFiles(c);
  const columns = columnsFor(c.extra_columns);
  if (window) {
    // Backfill: every file, only the rows that started in the window; the cursor stays.
    for (const [i, f] of files.entries()) {
      for await (const chunk of readLines(c, f, 0)) {
        const lines = chunk.lines.filter((l) => startsWithin(l, columns, c, window));
        if (lines.length)
          yield { payloads: payloadsOf(lines, columns), progress: { done: i, total: files.length, label: f.name } };
      }
    }
    return;
  }
  for (const { file, from } of plan(files, cursor, c.active_file)) {
    let offset = from;
    for await (const chunk of readLines(c, file, from)) {
      offset = chunk.end;
      yield {
        payloads: payloadsOf(chunk.lines, columns),
        cursor: { file: file.name, ino: file.ino, offset, mtime: file.mtime },
      };
    }
    if (offset === from && (cursor?.ino !== file.ino || cursor.offset !== from)) {
      // Nothing complete yet in a file not yet in the cursor: move the cursor onto it anyway.
      yield { payloads: [], cursor: { file: file.name, ino: file.ino, offset, mtime: file.mtime } };
    }
  }
}

/** What to read: the cursor's file from its offset, then every newer file from 0. */
export function plan(files: FileInfo[], cursor: Cursor | null, active: string): { file: FileInfo; from: number }[] {
  const sorted = [...files].sort(
    (a, b) =>
      a.mtime - b.mtime || Number(a.name === active) - Number(b.name === active) || a.name.localeCompare(b.name),
  );
  if (!cursor) return sorted.map((file) => ({ file, from: 0 }));
  const offset = typeof cursor.offset === 'number' ? cursor.offset : 0;
  const mtime = typeof cursor.mtime === 'number' ? cursor.mtime : 0;
  const at = sorted.findIndex((f) =>
    typeof cursor.ino === 'number' && cursor.ino > 0 ? f.ino === cursor.ino : f.name === cursor.file,
  );
  if (at < 0) return sorted.filter((f) => f.mtime > mtime).map((file) => ({ file, from: 0 }));
  const current = sorted[at]!;
  return [
    { file: current, from: current.size < offset ? 0 : offset },
    ...sorted.slice(at + 1).map((file) => ({ file, from: 0 })),
  ];
}

async function listFiles(c: AsteriskConfig): Promise<FileInfo[]> {
  const dir = c.directory!;
  const pattern = new RegExp(c.file_pattern);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw fsError(e, dir);
  }
  const out: FileInfo[] = [];
  for (const name of names.filter((n) => pattern.test(n))) {
    try {
      const s = await stat(join(dir, name));
      if (s.isFile()) out.push({ name, ino: s.ino, size: s.size, mtime: Math.floor(s.mtimeMs) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(e, join(dir, name)); // rotated away meanwhile
    }
  }
  return out;
}

/** Complete lines of `file` from `from`, in chunks of at most max_read_bytes; `end` is the offset after the chunk. */
async function* readLines(
  c: AsteriskConfig,
  file: FileInfo,
  from: number,
): AsyncGenerator<{ lines: string[]; end: number }> {
  const path = join(c.directory!, file.name);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fsError(e, path);
  }
  try {
    let pos = from;
    const size = (await handle.stat()).size;
    while (pos < size) {
      const want = Math.min(c.max_read_bytes, size - pos);
      const buf = Buffer.alloc(want);
      const { bytesRead } = await handle.read(buf, 0, want, pos);
      const data = buf.subarray(0, bytesRead);
      const lastNl = data.lastIndexOf(0x0a);
      if (lastNl < 0) {
        if (bytesRead === c.max_read_bytes)
          throw new CallhouseError(
            'INVALID_VALUE',
            `${path}: a line longer than max_read_bytes (${c.max_read_bytes}) at offset ${pos}`,
          );
        return; // only a partial last line: wait for the rest
      }
      const complete = data.subarray(0, lastNl + 1);
      pos += complete.length;
      let text: string;
      try {
        text = decodeCsv(complete);
      } catch {
        text = complete.toString('latin1').replace(/\0/g, '');
      }
      yield { lines: splitLines(text).lines, end: pos };
    }
  } catch (e) {
    throw e instanceof CallhouseError ? e : fsError(e, path);
  } finally {
    await handle.close();
  }
}

function startsWithin(line: string, columns: string[], c: AsteriskConfig, w: PollWindow): boolean {
  try {
    const fields = parseLine(line);
    if (isHeader(fields)) return false;
    const start = rowOf(fields, columns).start ?? '';
    const t = DateTime.fromFormat(start.trim(), 'yyyy-MM-dd HH:mm:ss', {
      zone: c.usegmtime ? 'UTC' : c.timezone,
    }).toMillis();
    return Number.isNaN(t) ? true : t >= w.from.getTime() && t < w.to.getTime();
  } catch {
    return true; // let the normaliser dead-letter it with its reason
  }
}

function fsError(e: unknown, path: string): CallhouseError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new CallhouseError('VENDOR_UNAVAILABLE', `${path}: no such directory (is the CDR volume mounted?)`, {
      cause: e,
    });
  if (code === 'EACCES' || code === 'EPERM')
    return new CallhouseError(
      'VENDOR_FORBIDDEN',
      `${path}: permission denied (give callhouse read access to the CDR files)`,
      { cause: e },
    );
  return new CallhouseError('VENDOR_ERROR', `${path}: ${code ?? (e as Error).message}`, { cause: e });
}

/** `check`: the directory exists and can be listed. */
export async function checkDirectory(ctx: PollContext<AsteriskConfig>): Promise<void> {
  if (!ctx.config.directory) return;
  await listFiles(ctx.config);
}
