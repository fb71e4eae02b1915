/**
 * Configuration of a `yeastar-p` connector. Each report is checked against the vendor's per-type
 * parameter table at start-up, so a report the PBX would answer with "PARAMETER ERROR" (or,
 * worse, with an empty file) never reaches the scheduler.
 */
import { z } from 'zod';
import nodeCron from 'node-cron';
import { baseConnectorFields, cronSchema, zoneSchema } from '../core/config.js';
import {
  REPORT_PARAMS,
  REPORT_TYPES,
  REPORT_TYPE_NAMES,
  RANGE_GRANULARITIES,
  TIME_GRANULARITIES,
  type ReportParam,
  type ReportType,
} from './report-types.js';

const idList = z
  .union([
    z.string().regex(/^\s*[\w-]+(\s*,\s*[\w-]+)*\s*$/, 'expected IDs separated by commas'),
    z.array(z.union([z.number().int().nonnegative(), z.string().regex(/^[\w-]+$/)])).min(1),
  ])
  .transform((v) => (Array.isArray(v) ? v.join(',') : v.replace(/\s+/g, '')));

const oneId = z
  .union([z.number().int().nonnegative(), z.string().regex(/^[\w-]+$/, 'expected one ID')])
  .transform(String);

const zeroOne = z.union([z.literal(0), z.literal(1), z.boolean()]).transform((v) => (v === true || v === 1 ? 1 : 0));

const seconds = z.number().int().nonnegative();

const reportSchema = z
  .object({
    type: z
      .enum(REPORT_TYPE_NAMES as [ReportType, ...ReportType[]])
      .describe('Report type, as the API names it. Example: `queueperformance`'),
    ext_id_list: idList.optional().describe('Extension or extension-group IDs. Example: `[1, 2, 5]`'),
    trunk_id: oneId.optional().describe('One trunk ID. Example: `3`'),
    trunk_id_list: idList.optional().describe('Trunk IDs. Example: `1,3`'),
    ivr_id_list: idList.optional().describe('IVR IDs. Example: `[1]`'),
    ring_group_id_list: idList.optional().describe('Ring group IDs. Example: `[1, 2]`'),
    queue_id: oneId.optional().describe('One queue ID. Example: `1`'),
    queue_id_list: idList.optional().describe('Queue IDs. Example: `1,2`'),
    agent_id_list: idList.optional().describe('Agent IDs (default: all agents). Example: `[4, 7]`'),
    abandon_time: seconds.optional().describe('Leave out calls abandoned within this many seconds. Example: `5`'),
    talk_time: seconds.optional().describe('Leave out calls that talked within this many seconds. Example: `3`'),
    include_internal: zeroOne.optional().describe('Include internal calls (0 or 1). Example: `1`'),
    callback_result: z
      .enum(['success', 'fail'])
      .optional()
      .describe('Only callbacks with this result. Example: `success`'),
    reason: z.string().min(1).optional().describe('Only pauses with this reason. Example: `Lunch`'),
    communication_type: z
      .string()
      .optional()
      .describe('Only calls of this direction (Inbound, Outbound, Internal). Example: `Inbound`'),
    need_detail: zeroOne.optional().describe('Include call details (0 or 1). Example: `0`'),
    granularity: z
      .enum(['hour', 'day', 'month', 'year'])
      .default('day')
      .describe(
        'Length of one report period: day, month or year for `time` reports; hour, day or month for start/end reports. Example: `day`',
      ),
    schedule: cronSchema
      .refine((c) => nodeCron.validate(c), 'not a valid cron expression')
      .optional()
      .describe(
        'When this report is fetched, in the connector time zone (default: the connector schedule). Example: `30 6 * * *`',
      ),
  })
  .strict()
  .superRefine((r, ctx) => {
    const spec = REPORT_TYPES[r.type];
    const takes = spec.params as Partial<Record<ReportParam, string>>;
    for (const p of REPORT_PARAMS) {
      const given = r[p] !== undefined;
      if (given && !takes[p]) {
        const alt = p.endsWith('_list') ? p.slice(0, -5) : `${p}_list`;
        const hint = takes[alt as ReportParam] ? ` (it takes ${alt})` : '';
        ctx.addIssue({ code: 'custom', path: [p], message: `not taken by ${r.type}${hint}` });
      } else if (!given && takes[p] === 'required') {
        ctx.addIssue({ code: 'custom', path: [p], message: `required for ${r.type}` });
      }
    }
    const allowed: readonly string[] = spec.time === 'time' ? TIME_GRANULARITIES : RANGE_GRANULARITIES;
    if (!allowed.includes(r.granularity)) {
      ctx.addIssue({
        code: 'custom',
        path: ['granularity'],
        message: `${r.type} takes ${allowed.join(', ')}`,
      });
    }
    const comm = 'communicationTypes' in spec ? (spec.communicationTypes as readonly string[]) : [];
    if (r.communication_type !== undefined && takes.communication_type && !comm.includes(r.communication_type)) {
      ctx.addIssue({
        code: 'custom',
        path: ['communication_type'],
        message: `${r.type} takes ${comm.join(', ')}`,
      });
    }
  });

export type ReportConfig = z.output<typeof reportSchema>;

const clockSchema = z
  .union([z.enum(['12', '24']), z.literal(12), z.literal(24)])
  .transform((v) => String(v) as '12' | '24');

export const yeastarPConfigSchema = z
  .object({
    ...baseConnectorFields,
    type: z.literal('yeastar-p'),
    timezone: zoneSchema.describe(
      'IANA time zone of the PBX (System > Date and Time); report periods and event times use it. Example: `Europe/Berlin`',
    ),
    base_url: z
      .string()
      .url()
      .regex(/^https?:\/\//, 'expected an http(s) URL')
      .describe('Address of the PBX web server, scheme, host and port. Example: `https://192.168.5.150:8088`'),
    client_id: z.string().min(1).describe('Client ID of the OpenAPI application. Example: `ZpDVJsb6…`'),
    client_secret: z
      .string()
      .min(1)
      .describe('Client Secret of the OpenAPI application. Example: `${YEASTAR_P_CLIENT_SECRET}`'),
    api_version: z
      .enum(['v1.0', 'v2.0'])
      .default('v2.0')
      .describe('OpenAPI path version; report data from firmware x.21.0.117 on lives under v2.0. Example: `v2.0`'),
    display_format: z
      .enum(['MM/DD/YYYY', 'DD/MM/YYYY', 'YYYY/MM/DD'])
      .default('MM/DD/YYYY')
      .describe(
        'Date display format of the PBX (System > Date and Time > Display Format); report times must be sent in it. Example: `DD/MM/YYYY`',
      ),
    clock: clockSchema
      .default('24')
      .describe('Time display format of the PBX: 24-hour or 12-hour clock. Example: `24`'),
    reports: z
      .array(reportSchema)
      .default([])
      .describe(
        'Call reports to download on schedule, one entry per report type. Example: `[{type: queueperformance, queue_id_list: [1]}]`',
      ),
    async: z
      .boolean()
      .default(false)
      .describe('Ask the PBX to prepare reports asynchronously and wait for event 30027. Example: `false`'),
    async_timeout_seconds: z
      .number()
      .int()
      .positive()
      .default(600)
      .describe('How long to wait for event 30027 after an asynchronous request. Example: `600`'),
    max_rows_per_payload: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(500)
      .describe('Report rows per Kafka message. Example: `500`'),
    schedule: cronSchema
      .default('5 * * * *')
      .describe('When due report periods are fetched (cron). Example: `5 * * * *`'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.reports.forEach((r, i) => {
      const first = seen.get(r.type);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['reports', i, 'type'],
          message: `${r.type} is already configured at reports[${first}]: list all IDs in one report, or use a second connector`,
        });
      } else seen.set(r.type, i);
    });
  })
  .transform((c) => ({ ...c, tenant: c.tenant ?? c.id }));

export type YeastarPConfig = z.output<typeof yeastarPConfigSchema>;

/** `reports[1].queue_id: required for queueperformance`: how a zod issue reads in messages. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
