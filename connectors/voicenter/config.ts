/** Configuration of one Voicenter connector instance. */
import { z } from 'zod';
import { baseConnectorFields, cronSchema, zoneSchema, countrySchema } from '../core/config.js';

/** Every field the Call Log API documents; the request spells the extensions `…extension`. */
export const ALL_CDR_FIELDS = [
  'CallerNumber',
  'TargetNumber',
  'Date',
  'DateEpoch',
  'Duration',
  'CallID',
  'Type',
  'CdrType',
  'DialStatus',
  'DialStatus2',
  'Targetextension',
  'Callerextension',
  'DID',
  'QueueName',
  'RecordURL',
  'RecordExpect',
  'Price',
  'RingTime',
  'RepresentativeName',
  'RepresentativeCode',
  'UserName',
  'UserId',
  'DTMFData',
  'CustomData',
  'DepartmentName',
  'DepartmentId',
  'TargetPrefixName',
] as const;

export const DEFAULT_BASE_URL = 'https://api.voicenter.com/hub/cdr/';

export const voicenterConfigSchema = z
  .object({
    ...baseConnectorFields,
    type: z.literal('voicenter'),
    timezone: zoneSchema
      .default('Asia/Jerusalem')
      .describe('IANA zone for the `*_local` columns (Voicenter itself sends UTC). Example: `Asia/Jerusalem`'),
    country: countrySchema
      .default('IL')
      .describe('Default region of phone numbers such as `0501234567`. Example: `IL`'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default('ILS')
      .describe('Currency of `Price` (Voicenter bills in agorot, stored as shekels). Example: `ILS`'),
    base_url: z
      .url()
      .default(DEFAULT_BASE_URL)
      .describe(
        'Call Log (CDR) API URL; the legacy `https://api1.voicenter.co.il/hub/cdr/` also works. Example: `https://api.voicenter.com/hub/cdr/`',
      ),
    code: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Call Log API code from Voicenter CPanel (secret). Omit to receive CDR notifications only, without polling. Example: `${VOICENTER_CODE}`',
      ),
    fields: z
      .array(z.string().min(1))
      .min(1)
      .default([...ALL_CDR_FIELDS])
      .describe(
        'Call Log fields to request (default: all documented fields; `CallID` and `Date` are always added). Example: `[CallID, Date, Duration, DialStatus]`',
      ),
    identity_criteria: z
      .enum(['Account', 'Hierarchical', 'Department', 'User'])
      .optional()
      .describe('Scope of the Call Log search, as Voicenter names it. Example: `Account`'),
    schedule: cronSchema.default('*/5 * * * *').describe('When to poll the Call Log. Example: `*/5 * * * *`'),
    overlap_minutes: z
      .number()
      .int()
      .min(0)
      .max(1440)
      .default(30)
      .describe(
        'Each poll re-reads this many minutes before the cursor, to catch CDRs that appear late. Example: `30`',
      ),
    max_records_per_request: z
      .number()
      .int()
      .positive()
      .max(10_000)
      .default(10_000)
      .describe('Voicenter returns at most this many CDRs per request; a fuller window is split. Example: `10000`'),
    requests_per_minute: z
      .number()
      .int()
      .positive()
      .default(30)
      .describe('Request budget per minute, enforced on our side (Voicenter allows 30). Example: `30`'),
    min_spacing_ms: z
      .number()
      .int()
      .min(0)
      .default(2000)
      .describe('Least time between two requests, in milliseconds. Example: `2000`'),
  })
  .strict()
  .transform((c) => ({ ...c, tenant: c.tenant ?? c.id }));

export type VoicenterConfig = z.output<typeof voicenterConfigSchema>;
