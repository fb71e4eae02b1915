/** Secrets never appear in logs, errors or metrics: these helpers strip them from text and URLs. */

export const SECRET_KEYS = [
  'token',
  'access_token',
  'refresh_token',
  'password',
  'client_secret',
  'code',
  'key',
  'random',
  'secret',
  'authorization',
  'x-callhouse-token',
  'cookie',
  'set-cookie',
] as const;

const SECRET_PARAM = new RegExp(
  `([?&;](?:${SECRET_KEYS.map((k) => k.replace(/[-]/g, '\\-')).join('|')})=)[^&#\\s"']*`,
  'gi',
);

/** Replaces the values of secret query parameters and URL credentials with `***`. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/)[^/@\s:]+:[^/@\s]+@/g, '$1***:***@').replace(SECRET_PARAM, '$1***');
}

/**
 * The secret values `redactText` removes, in three kinds, so that the set stays as large as the
 * configuration and not as the process's uptime:
 * - the configuration's secrets (tokens, passwords, keys): kept for the life of the process;
 * - session secrets (a vendor's session or access token): one slot per session, which keeps only
 *   its newest values (the one before may still be in a request in flight when a token is renewed);
 * - short-lived secrets (a single-use download key): forgotten after their lifetime, and the
 *   oldest first when too many are alive at once.
 */
const lasting = new Set<string>();
const sessions = new Map<string, string[]>();
const shortLived = new Map<string, number>();

/** Values a session slot keeps: the current one and the one it replaced. */
const SESSION_KEEP = 2;
/** More slots than any configuration has sessions; past it the least recently renewed goes. */
const MAX_SESSIONS = 1024;
const MAX_SHORT_LIVED = 1024;

/** Registers a secret of the configuration so that `redactText` removes it wherever it appears. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) lasting.add(value);
}

/**
 * Registers the newest value of a session secret (`slot` names the session, e.g. a connector's
 * access token); the slot's older values are forgotten, but for the one it replaces.
 */
export function rotateSecret(slot: string, value: string | undefined | null): void {
  if (!value || value.length < 4) return;
  const kept = sessions.get(slot) ?? [];
  sessions.delete(slot);
  sessions.set(slot, [value, ...kept.filter((v) => v !== value)].slice(0, SESSION_KEEP));
  if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
}

/** Registers a secret that is worthless after `lifetimeMs` (the vendor refuses it then). */
export function registerShortLivedSecret(value: string | undefined | null, lifetimeMs: number): void {
  if (!value || value.length < 4) return;
  pruneShortLived();
  shortLived.delete(value);
  shortLived.set(value, Date.now() + lifetimeMs);
  if (shortLived.size > MAX_SHORT_LIVED) shortLived.delete(shortLived.keys().next().value!);
}

function pruneShortLived(): void {
  const now = Date.now();
  for (const [v, until] of shortLived) if (until <= now) shortLived.delete(v);
}

/** How many secret values are registered now (for tests and a bound on redaction's cost). */
export function secretCount(): number {
  pruneShortLived();
  let n = lasting.size + shortLived.size;
  for (const values of sessions.values()) n += values.length;
  return n;
}

function strip(text: string, secret: string): string {
  return text.includes(secret) ? text.split(secret).join('***') : text;
}

/** Removes registered secrets and secret URL parameters from any text. */
export function redactText(text: string): string {
  let out = redactUrl(text);
  for (const s of lasting) out = strip(out, s);
  for (const values of sessions.values()) for (const s of values) out = strip(out, s);
  if (shortLived.size > 0) {
    pruneShortLived();
    for (const s of shortLived.keys()) out = strip(out, s);
  }
  return out;
}
