/** Configuration of a `yeastar-s` connector instance. */
import { z } from 'zod';
import { baseConnectorFields } from '../core/config.js';

/** The `{ver}` path segments seen on real PBXs (`v1.10` is a typo in one guide, used as printed). */
export const API_VERSIONS = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.10', 'v2.0.0'] as const;

export const apiSchema = z
  .object({
    base_url: z
      .string()
      .url()
      .describe('HTTPS address of the PBX API (scheme, host and port, no path). Example: `https://192.168.5.150:8088`'),
    username: z.string().min(1).describe('API user set on the PBX (Settings → API). Example: `api`'),
    password: z
      .string()
      .min(1)
      .describe('Password of the API user, as typed (callhouse sends its MD5). Example: `${YEASTAR_API_PASSWORD}`'),
    version: z.enum(API_VERSIONS).default('v1.0.1').describe('API version in the request path. Example: `v2.0.0`'),
    port: z
      .string()
      .regex(/^\d{1,5}$/)
      .default('8260')
      .describe('Port the PBX sends its reports to, given at login. Example: `8260`'),
    report_url: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Where the PBX should POST reports, as `host:port/path` (sent at login with urltag 1). Example: `203.0.113.5:8080/ingest/yeastar-s/hq-pbx?token=${YEASTAR_TOKEN}`',
      ),
    report_version: z
      .enum(['1.0.2', '2.0.0'])
      .optional()
      .describe('Report body format requested at login (omit for the legacy duplicate-key form). Example: `1.0.2`'),
    recordings_dir: z
      .string()
      .min(1)
      .default('recordings')
      .describe(
        'Directory where downloaded recordings are saved (relative: under CALLHOUSE_DATA_DIR), one folder per connector. Example: `/srv/recordings`',
      ),
    max_recording_bytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024 * 1024)
      .describe(
        'Largest recording downloaded, in bytes; a larger one is not saved, and the call gets a `RecordingFailed` event saying so. Example: `268435456`',
      ),
    max_concurrent_downloads: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(2)
      .describe('Recordings downloaded from this PBX at once; the others wait their turn. Example: `2`'),
    max_queued_downloads: z
      .number()
      .int()
      .min(0)
      .default(1000)
      .describe(
        'Recordings that may wait for a download slot; past that a recording is not downloaded and its call gets a `RecordingFailed` event. Example: `1000`',
      ),
  })
  .strict();

export const yeastarSConfigSchema = z
  .object({
    ...baseConnectorFields,
    type: z.literal('yeastar-s'),
    api: apiSchema
      .optional()
      .describe(
        'Optional session with the PBX API, for recording downloads. Example: `{base_url: https://pbx:8088, username: api, password: …}`',
      ),
  })
  .strict()
  .transform((c) => ({ ...c, tenant: c.tenant ?? c.id }));

export type YeastarSConfig = z.output<typeof yeastarSConfigSchema>;
export type YeastarSApiConfig = z.output<typeof apiSchema>;
