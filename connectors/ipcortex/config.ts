/** Configuration of one IPCortex PABX connector (billing REST API, polled). */
import { z } from 'zod';
import { baseConnectorFields, cronSchema } from '../core/config.js';

/** Digits dialled for an outside line on an IPCortex PABX unless configured otherwise. */
export const DEFAULT_ACCESS_PREFIXES: readonly string[] = ['9'];

const POWERS_OF_TEN = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000] as const;

export const ipcortexConfigSchema = z
  .object({
    ...baseConnectorFields,
    type: z.literal('ipcortex'),
    base_url: z
      .string()
      .url()
      .describe('Address of the PABX (the API lives under `/rest/`). Example: `https://pabx.example.co.uk`'),
    key: z
      .string()
      .min(1)
      .optional()
      .describe('API key (a user token of type "Auth Key"); use it or username + password. Example: `${IPCORTEX_KEY}`'),
    username: z
      .string()
      .min(1)
      .optional()
      .describe('Login of a user with System-Admin or Billing Call-Summary permission. Example: `billing`'),
    password: z.string().min(1).optional().describe('Password of `username`. Example: `${IPCORTEX_PASSWORD}`'),
    companies: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Companies to report on (default: every company allcalls/outsummary return; `default` in inout mode). Example: `[default]`',
      ),
    mode: z
      .enum(['allcalls', 'inout'])
      .default('allcalls')
      .describe('`allcalls` (PABX 6.2.16+) or `inout` (incalls + outcalls, older systems). Example: `allcalls`'),
    billing_summary: z
      .boolean()
      .default(true)
      .describe('Also read the monthly cost summary per company and device (outsummary). Example: `true`'),
    cost_divisor: z
      .number()
      .refine((n) => (POWERS_OF_TEN as readonly number[]).includes(n), 'expected 1, 10, 100, … 1000000')
      .default(1)
      .describe('Cost units per currency unit (100 when the PABX counts pence). Example: `1`'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .default('GBP')
      .describe('ISO 4217 currency of the PABX costs. Example: `GBP`'),
    access_prefixes: z
      .array(z.string().regex(/^[0-9*#]{1,4}$/, 'expected 1 to 4 digits'))
      .default([...DEFAULT_ACCESS_PREFIXES])
      .describe(
        'Digits dialled before an outside number to get a line; stripped from `dialled` to read the number (`[]` for none). Example: `["9"]`',
      ),
    lookback_days: z
      .number()
      .int()
      .min(0)
      .max(31)
      .default(3)
      .describe('Days before the cursor that each run reads again, for late records. Example: `3`'),
    schedule: cronSchema
      .default('20 3 * * *')
      .describe('When to poll; reports lock the billing engine, so once a day at night. Example: `20 3 * * *`'),
    lock_retries: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(10)
      .describe('Retries of one report while the billing engine is locked or unreachable. Example: `10`'),
    retry_base_ms: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe('First back-off delay in ms (doubles per retry, with jitter). Example: `2000`'),
    retry_max_ms: z.number().int().min(1).default(60_000).describe('Longest back-off delay in ms. Example: `60000`'),
    request_timeout_ms: z
      .number()
      .int()
      .min(1000)
      .default(180_000)
      .describe('Timeout of one report request in ms (reports take seconds on a busy PABX). Example: `180000`'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const session = c.username !== undefined || c.password !== undefined;
    if (c.key !== undefined && session) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'give either key or username + password, not both' });
    } else if (c.key === undefined && (c.username === undefined || c.password === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.username === undefined ? 'username' : 'password'],
        message: 'expected key, or username and password',
      });
    }
  })
  .transform((c) => ({ ...c, tenant: c.tenant ?? c.id }));

export type IpcortexConfig = z.output<typeof ipcortexConfigSchema>;

export const ipcortexExample = {
  id: 'hq-pabx',
  type: 'ipcortex',
  timezone: 'Europe/London',
  country: 'GB',
  base_url: 'https://pabx.example.co.uk',
  username: 'billing',
  password: '${IPCORTEX_PASSWORD}',
  cost_divisor: 1,
  currency: 'GBP',
};

/** Decimal places that `cost_divisor` moves the point by. */
export function divisorPlaces(divisor: number): number {
  return Math.round(Math.log10(divisor));
}
