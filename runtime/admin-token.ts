/**
 * The admin listener's token. `CALLHOUSE_ADMIN_TOKEN` sets it; otherwise the first start writes a
 * random one to `$CALLHOUSE_DATA_DIR/admin.token` (mode 0600) and every later process on that data
 * directory, the CLI included, reads it from there. The file is created whole or not at all and
 * never replaced: several processes starting at once on one data directory agree on one token.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { CallhouseError } from './errors.js';
import { registerSecret } from './redact.js';

export const ADMIN_TOKEN_FILE = 'admin.token';
/** Shorter tokens can be guessed by a page that tries them over loopback. */
const MIN_LENGTH = 16;

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE);
}

function checked(token: string, where: string): string {
  const t = token.trim();
  if (t.length < MIN_LENGTH || /\s/.test(t)) {
    throw new CallhouseError(
      'CONFIG_INVALID',
      `${where}: the admin token must be at least ${MIN_LENGTH} characters without spaces`,
    );
  }
  registerSecret(t);
  return t;
}

function readTokenFile(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CallhouseError(
      'CONFIG_INVALID',
      `cannot read the admin token ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return checked(text, path);
}

/** Writes `token` to `path` only if no file is there: a temporary file, then a hard link (which never replaces). */
function createExclusive(path: string, token: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * The token a service accepts: the environment's, or the data directory's, written now if there is
 * none yet. A file others can read is tightened to 0600, with a warning.
 */
export function ensureAdminToken(
  dataDir: string,
  envToken: string | undefined,
  warn: (message: string) => void = () => undefined,
): string {
  if (envToken) return checked(envToken, 'CALLHOUSE_ADMIN_TOKEN');
  const path = adminTokenPath(dataDir);
  mkdirSync(dataDir, { recursive: true });
  if (createExclusive(path, randomBytes(32).toString('base64url'))) return readTokenFile(path)!;
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    chmodSync(path, 0o600);
    warn(`${path} was readable by others (mode ${mode.toString(8)}); set to 0600`);
  }
  return readTokenFile(path)!;
}

/** The token the CLI sends: `CALLHOUSE_ADMIN_TOKEN`, else the data directory's file, else none. */
export function readAdminToken(dataDir: string, envToken: string | undefined): string | undefined {
  if (envToken) return checked(envToken, 'CALLHOUSE_ADMIN_TOKEN');
  return readTokenFile(adminTokenPath(dataDir));
}
