/**
 * P-Series OpenAPI answers every request with HTTP 200 and `{errcode, errmsg}`; this maps each
 * documented errcode to what callhouse does about it.
 */
import { CallhouseError } from '../../runtime/errors.js';

export const OK = 0;
export const PARTIAL_SUCCESS = 1;
export const PROCESSING = 2;
export const TOKEN_EXPIRED = 10004;
export const DATA_NOT_FOUND = 60001;

export interface ApiAnswer {
  errcode: number;
  errmsg: string;
  [k: string]: unknown;
}

export function asAnswer(value: unknown, what: string): ApiAnswer {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const code = typeof v.errcode === 'string' ? Number(v.errcode) : v.errcode;
    if (typeof code === 'number' && Number.isFinite(code)) {
      return { ...v, errcode: code, errmsg: typeof v.errmsg === 'string' ? v.errmsg : '' };
    }
  }
  throw new CallhouseError('VENDOR_UNAVAILABLE', `${what}: the PBX answered without an errcode`, {
    retriable: true,
  });
}

/**
 * The error for a non-zero errcode other than the ones a caller handles itself (2 PROCESSING,
 * 10004 TOKEN EXPIRED, 60001 DATA NOT FOUND).
 */
export function errcodeError(answer: ApiAnswer, what: string): CallhouseError {
  const { errcode, errmsg } = answer;
  const said = `${what}: errcode ${errcode} ${errmsg}`.trim();
  const details = { errcode, errmsg };
  switch (errcode) {
    case -2:
    case -1:
      return new CallhouseError('VENDOR_UNAVAILABLE', `${said} (PBX-side failure; retrying later)`, { details });
    case 70082:
      // Another report or export task is running on the PBX: wait for it.
      return new CallhouseError('VENDOR_LOCKED', `${said} (another task is running on the PBX)`, {
        retryAfterSeconds: 30,
        details,
      });
    case TOKEN_EXPIRED:
      return new CallhouseError('VENDOR_TOKEN_EXPIRED', said, { details });
    case 10005:
      return new CallhouseError(
        'VENDOR_AUTH',
        `${said}: the OpenAPI application is not allowed this request (check the Client ID/Secret and the app's permissions)`,
        { details },
      );
    case 70004:
      return new CallhouseError(
        'VENDOR_FORBIDDEN',
        `${said}: the PBX has blocked this address after failed logins; unblock it on the PBX`,
        { details },
      );
    case 70087:
      return new CallhouseError(
        'VENDOR_FORBIDDEN',
        `${said}: this address is not in the OpenAPI application's allowed IP list`,
        { details },
      );
    case 70106:
      return new CallhouseError(
        'VENDOR_ERROR',
        `${said}: billing reports need call rates; set call rates on the PBX or remove this report`,
        { details },
      );
    case 10001:
    case 10002:
    case 10003:
      return new CallhouseError(
        'VENDOR_ERROR',
        `${said}: this firmware does not serve this API version; check api_version (v1.0 or v2.0)`,
        { details },
      );
    default:
      return new CallhouseError('VENDOR_ERROR', said, { details });
  }
}
