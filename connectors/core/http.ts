/** HTTP for connectors: timeouts, redacted errors, and a guard against foreign hosts. */
import { CallhouseError } from '../../runtime/errors.js';
import { redactUrl } from '../../runtime/redact.js';

export interface VendorRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface VendorResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  text(): string;
  json(): unknown;
}

/**
 * Fetches a vendor URL and hands back the response with its body unread. Network errors,
 * timeouts, 5xx and 429 are retriable VENDOR_UNAVAILABLE.
 */
export async function vendorResponse(url: string, req: VendorRequest = {}): Promise<Response> {
  const timeout = AbortSignal.timeout(req.timeoutMs ?? 30_000);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, {
      method: req.method ?? 'GET',
      headers: req.headers,
      body: req.body,
      signal,
      redirect: 'manual',
    });
  } catch (e) {
    if (req.signal?.aborted) throw e;
    const why = timeout.aborted ? 'timed out' : (e as Error).message;
    throw new CallhouseError('VENDOR_UNAVAILABLE', `${redactUrl(url)}: ${why}`, { cause: e });
  }
  if (res.status >= 500 || res.status === 429) {
    await res.body?.cancel().catch(() => undefined);
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new CallhouseError('VENDOR_UNAVAILABLE', `${redactUrl(url)}: HTTP ${res.status}`, {
      retriable: true,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    });
  }
  return res;
}

/** Fetches a vendor URL and reads its body. Network errors, timeouts and 5xx are retriable VENDOR_UNAVAILABLE. */
export async function vendorFetch(url: string, req: VendorRequest = {}): Promise<VendorResponse> {
  const res = await vendorResponse(url, req);
  let body: Buffer;
  try {
    body = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (req.signal?.aborted) throw e;
    throw new CallhouseError('VENDOR_UNAVAILABLE', `${redactUrl(url)}: ${(e as Error).message}`, { cause: e });
  }
  return {
    status: res.status,
    headers: res.headers,
    body,
    text: () => body.toString('utf8'),
    json: () => {
      try {
        return JSON.parse(body.toString('utf8')) as unknown;
      } catch {
        throw new CallhouseError(
          'VENDOR_UNAVAILABLE',
          `${redactUrl(url)}: response is not JSON (HTTP ${res.status}, ${body.length} bytes)`,
          { retriable: true },
        );
      }
    },
  };
}

/**
 * Resolves a path or URL that a vendor response names against the configured base URL, and
 * refuses any URL on another host: downloads come only from the configured vendor.
 */
export function sameOriginUrl(baseUrl: string, pathOrUrl: string): string {
  const base = new URL(baseUrl);
  const target = new URL(pathOrUrl, base);
  if (target.origin !== base.origin) {
    throw new CallhouseError(
      'UNTRUSTED_URL',
      `refusing a URL on ${target.host}: only ${base.host} (the configured base_url) is trusted`,
    );
  }
  return target.toString();
}
