/** The CLI's requests to a running service's admin listener, with the token of its data directory. */
import { adminTokenPath, readAdminToken } from '../admin-token.js';
import type { Config } from '../config.js';
import { CallhouseError } from '../errors.js';

/**
 * A request to the admin listener at `base`, with the token of this command's data directory (or
 * CALLHOUSE_ADMIN_TOKEN). Answers are returned to the caller, except 401 and 403, which no retry
 * mends: those throw with what to check. A listener that does not answer throws the fetch error.
 */
export async function adminRequest(
  cfg: Config,
  base: string,
  path: string,
  init: { method?: 'GET' | 'POST'; json?: unknown } = {},
): Promise<Response> {
  const token = readAdminToken(cfg.env.dataDir, cfg.env.adminToken);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  if (res.status === 401) {
    throw new CallhouseError(
      'UNAUTHORIZED',
      token
        ? `the admin listener at ${base} refused the admin token (401): the service uses another data directory's admin.token or another CALLHOUSE_ADMIN_TOKEN than this command`
        : `the admin listener at ${base} needs the admin token: ${adminTokenPath(cfg.env.dataDir)} does not exist and CALLHOUSE_ADMIN_TOKEN is not set (use the service's CALLHOUSE_DATA_DIR or its CALLHOUSE_ADMIN_TOKEN)`,
    );
  }
  if (res.status === 403) {
    throw new CallhouseError(
      'UNAUTHORIZED',
      `the admin listener at ${base} refused the request (403): ${await res.text()}`,
    );
  }
  return res;
}
