/**
 * Files downloaded from a vendor (call recordings): streamed to disk with a size cap, never held
 * in memory whole, and only as many at once as a queue per connector allows.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CallhouseError } from '../../runtime/errors.js';
import { redactUrl } from '../../runtime/redact.js';

/** Writes a response body to `path` (through a temporary file: a failed download leaves nothing). */
export async function saveBody(res: Response, url: string, path: string, maxBytes: number): Promise<number> {
  const tooLarge = (bytes: number | string): CallhouseError =>
    new CallhouseError(
      'UNSUPPORTED_PAYLOAD',
      `${redactUrl(url)}: the file is ${bytes} bytes, over the cap of ${maxBytes} (max_recording_bytes)`,
      { details: { max_bytes: maxBytes } },
    );
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(declared);
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.part`;
  let bytes = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(bytes > maxBytes ? tooLarge(`more than ${maxBytes}`) : null, chunk);
    },
  });
  try {
    if (!res.body) throw new CallhouseError('VENDOR_ERROR', `${redactUrl(url)}: no body`);
    await pipeline(Readable.fromWeb(res.body as never), cap, createWriteStream(tmp, { mode: 0o640 }));
    await rename(tmp, path);
    return bytes;
  } catch (e) {
    await rm(tmp, { force: true });
    if (e instanceof CallhouseError) throw e;
    throw new CallhouseError('VENDOR_UNAVAILABLE', `${redactUrl(url)}: download failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Runs at most `concurrency` tasks at once; refuses new ones while `maxQueued` wait. */
export class TaskQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueued: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>, what: string): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued) {
        throw new CallhouseError(
          'VENDOR_UNAVAILABLE',
          `${what}: not downloaded, ${this.maxQueued} downloads already wait (max_queued_downloads)`,
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiting task, if any.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
