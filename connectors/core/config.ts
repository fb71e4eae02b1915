/**
 * Configuration fields every connector instance has. Vendor connectors extend `baseConnectorFields`
 * with their own; every field carries a description (the README's reference is generated from it).
 */
import { z } from 'zod';
import { isValidZone } from '../../transforms/core/times.js';

export const zoneSchema = z
  .string()
  .refine(isValidZone, { error: (issue) => `unknown time zone ${JSON.stringify(issue.input)}` });

export const countrySchema = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166 alpha-2 country code')
  .transform((s) => s.toUpperCase());

export const cronSchema = z.string().regex(/^(\S+\s+){4,5}\S+$/, 'expected a cron expression of 5 or 6 fields');

const cidr = z
  .string()
  .regex(/^(\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?|[0-9a-fA-F:]+(\/\d{1,3})?)$/, 'expected an IPv4 or IPv6 address or CIDR');

export const baseConnectorFields = {
  id: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'expected lowercase letters, digits and dashes')
    .describe('Unique id of this connector instance; part of the ingest URL. Example: `hq-pbx`'),
  tenant: z.string().min(1).optional().describe('Tenant the calls belong to (default: the id). Example: `acme`'),
  timezone: zoneSchema
    .optional()
    .describe('IANA time zone of the times the vendor sends without offset. Example: `Europe/London`'),
  country: countrySchema.optional().describe('ISO 3166 alpha-2 default region for phone numbers. Example: `GB`'),
  enabled: z.boolean().default(true).describe('Whether the connector runs. Example: `true`'),
  token: z
    .string()
    .min(8)
    .optional()
    .describe(
      'Secret that the vendor presents on /ingest (`?token=`, `Authorization: Bearer` or `X-Callhouse-Token`). Example: `${YEASTAR_TOKEN}`',
    ),
  allow_ips: z
    .array(cidr)
    .optional()
    .describe('Addresses allowed to POST to /ingest (CIDR list). Example: `[192.0.2.10/32]`'),
  max_body_bytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024)
    .describe('Largest accepted ingest body in bytes. Example: `1048576`'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional()
    .describe('ISO 4217 currency of costs where the vendor does not say. Example: `GBP`'),
};

export const baseConnectorSchema = z.object(baseConnectorFields);

/** What every connector's config has after parsing (tenant filled in). */
export interface BaseConnectorConfig {
  id: string;
  type: string;
  tenant: string;
  timezone?: string | undefined;
  country?: string | undefined;
  enabled: boolean;
  token?: string | undefined;
  allow_ips?: string[] | undefined;
  max_body_bytes: number;
  currency?: string | undefined;
}
