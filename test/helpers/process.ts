/** callhouse processes for tests that kill and restart them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './kafka.js';

export interface Proc {
  child: ChildProcess;
  adminUrl: string;
  /** The token the process's admin listener accepts (CALLHOUSE_ADMIN_TOKEN or its data directory's file). */
  adminToken: string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startProcess(
  args: string[],
  env: Record<string, string>,
  logDir: string,
  name: string,
): Promise<Proc> {
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, ['bin/callhouse.js', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const adminUrl = `http://127.0.0.1:${env.CALLHOUSE_ADMIN_PORT}`;
  let dead = false;
  void exited.then(() => (dead = true));
  await until(
    `${name} to answer /healthz`,
    async () => {
      if (dead) throw new Error(`${name} exited; see ${join(logDir, `${name}.log`)}`);
      const r = await fetch(`${adminUrl}/healthz`).catch(() => undefined);
      return r?.ok;
    },
    90_000,
    250,
  );
  const adminToken =
    env.CALLHOUSE_ADMIN_TOKEN ?? readFileSync(join(env.CALLHOUSE_DATA_DIR ?? 'var', 'admin.token'), 'utf8').trim();
  return {
    child,
    adminUrl,
    adminToken,
    exited,
    kill: async (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}

export async function adminSql<T = Record<string, unknown>>(
  proc: Pick<Proc, 'adminUrl' | 'adminToken'>,
  query: string,
): Promise<T[]> {
  const r = await fetch(`${proc.adminUrl}/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${proc.adminToken}` },
    body: JSON.stringify({ query }),
  });
  const body = (await r.json()) as { rows: T[]; error?: string };
  if (!r.ok) throw new Error(body.error ?? `HTTP ${r.status}`);
  return body.rows;
}

/** Runs the CLI to completion without blocking this process (simulators a test runs live here). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 180_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/callhouse.js', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
