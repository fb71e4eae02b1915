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

const known = new Set<string>();

/** Registers a secret value so that `redactText` removes it wherever it appears. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) known.add(value);
}

/** Removes registered secrets and secret URL parameters from any text. */
export function redactText(text: string): string {
  let out = redactUrl(text);
  for (const s of known) {
    if (out.includes(s)) out = out.split(s).join('***');
  }
  return out;
}
