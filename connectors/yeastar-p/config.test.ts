import { describe, expect, test } from 'vitest';
import { yeastarPConfigSchema, issuePath } from './config.js';
import { REPORT_TYPES, REPORT_TYPE_NAMES, type ReportParam } from './report-types.js';
import { yeastarP } from './index.js';

const base = {
  id: 'pbx-p',
  type: 'yeastar-p',
  timezone: 'Europe/Berlin',
  base_url: 'https://192.168.5.150:8088',
  client_id: 'cid',
  client_secret: 'secret',
};

/** Every param a report needs, with a valid value. */
const VALUES: Record<ReportParam, unknown> = {
  ext_id_list: [1, 2],
  trunk_id: 1,
  trunk_id_list: '1,2',
  ivr_id_list: [1],
  ring_group_id_list: [1],
  queue_id: '1',
  queue_id_list: [1],
  agent_id_list: [4],
  abandon_time: 5,
  talk_time: 3,
  include_internal: 1,
  callback_result: 'success',
  reason: 'Lunch',
  communication_type: 'Inbound',
  need_detail: 0,
};

function requiredOf(type: keyof typeof REPORT_TYPES): Record<string, unknown> {
  const params = REPORT_TYPES[type].params as Record<string, string>;
  return Object.fromEntries(
    Object.entries(params)
      .filter(([, n]) => n === 'required')
      .map(([p]) => [p, VALUES[p as ReportParam]]),
  );
}

function issues(input: unknown): string[] {
  const r = yeastarPConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => (i.path.length ? `${issuePath(i.path)}: ${i.message}` : i.message));
}

describe('yeastar-p config', () => {
  test('the example parses, with the documented defaults', () => {
    const c = yeastarPConfigSchema.parse({
      ...yeastarP.example,
      client_id: 'x',
      client_secret: 'y',
      token: 'tok-12345678',
    });
    expect(c.tenant).toBe('office-p550');
    expect(c.reports[0]).toEqual({ type: 'extcallstatistics', ext_id_list: '1,2,3', granularity: 'day' });
    const d = yeastarPConfigSchema.parse(base);
    expect([d.api_version, d.display_format, d.clock, d.async, d.schedule, d.max_rows_per_payload, d.reports]).toEqual([
      'v2.0',
      'MM/DD/YYYY',
      '24',
      false,
      '5 * * * *',
      500,
      [],
    ]);
  });

  test('clock may be a YAML number; id lists may be arrays or comma text', () => {
    const c = yeastarPConfigSchema.parse({
      ...base,
      clock: 12,
      reports: [
        { type: 'extcallstatistics', ext_id_list: ' 1, 2 ,5' },
        { type: 'ivr', ivr_id_list: [3, '4'] },
      ],
    });
    expect(c.clock).toBe('12');
    expect(c.reports.map((r) => r.ext_id_list ?? r.ivr_id_list)).toEqual(['1,2,5', '3,4']);
  });

  test('every one of the 20 types is accepted with exactly its required parameters', () => {
    expect(REPORT_TYPE_NAMES).toHaveLength(20);
    for (const type of REPORT_TYPE_NAMES) {
      expect(issues({ ...base, reports: [{ type, ...requiredOf(type) }] }), type).toEqual([]);
    }
  });

  test.each(REPORT_TYPE_NAMES.flatMap((type) => Object.keys(requiredOf(type)).map((p) => [type, p] as const)))(
    '%s without %s is refused, naming the report',
    (type, param) => {
      const report = { type, ...requiredOf(type) } as Record<string, unknown>;
      delete report[param];
      const other =
        type === 'ivr' ? { type: 'ringgroupstatistics', ring_group_id_list: [1] } : { type: 'ivr', ivr_id_list: [1] };
      expect(issues({ ...base, reports: [other, report] })).toEqual([`reports[1].${param}: required for ${type}`]);
    },
  );

  test('a parameter the type does not take is refused, with a hint', () => {
    expect(
      issues({
        ...base,
        reports: [
          { type: 'ivr', ivr_id_list: [1] },
          { type: 'queueperformance', queue_id: 1 },
        ],
      }),
    ).toEqual([
      'reports[1].queue_id: not taken by queueperformance (it takes queue_id_list)',
      'reports[1].queue_id_list: required for queueperformance',
    ]);
    expect(
      issues({ ...base, reports: [{ type: 'ringgroupstatistics', ring_group_id_list: [1], need_detail: 1 }] }),
    ).toEqual(['reports[0].need_detail: not taken by ringgroupstatistics']);
  });

  test('granularity and communication_type are checked per type', () => {
    expect(issues({ ...base, reports: [{ type: 'trunkactivity', trunk_id_list: [1], granularity: 'hour' }] })).toEqual([
      'reports[0].granularity: trunkactivity takes day, month, year',
    ]);
    expect(
      issues({ ...base, reports: [{ type: 'queueperformance', queue_id_list: [1], granularity: 'year' }] }),
    ).toEqual(['reports[0].granularity: queueperformance takes hour, day, month']);
    expect(
      issues({ ...base, reports: [{ type: 'trunkactivity', trunk_id_list: [1], communication_type: 'Internal' }] }),
    ).toEqual(['reports[0].communication_type: trunkactivity takes Inbound, Outbound']);
    expect(
      issues({ ...base, reports: [{ type: 'extcallactivity', ext_id_list: [1], communication_type: 'Internal' }] }),
    ).toEqual([]);
  });

  test('bad values, duplicates, unknown keys, a missing zone and a bad schedule are refused', () => {
    expect(
      issues({
        ...base,
        reports: [{ type: 'queuecallbacksactivity', queue_id_list: 'a b', callback_result: 'maybe' }],
      }),
    ).toEqual([
      'reports[0].queue_id_list: expected IDs separated by commas',
      'reports[0].callback_result: Invalid option: expected one of "success"|"fail"',
    ]);
    expect(
      issues({
        ...base,
        reports: [
          { type: 'ivr', ivr_id_list: [1] },
          { type: 'ivr', ivr_id_list: [2] },
        ],
      }),
    ).toEqual([
      'reports[1].type: ivr is already configured at reports[0]: list all IDs in one report, or use a second connector',
    ]);
    expect(issues({ ...base, reports: [{ type: 'cdr' }] })[0]).toMatch(/^reports\[0\]\.type: Invalid option/);
    expect(issues({ ...base, display_format: 'DD.MM.YYYY' })[0]).toMatch(/^display_format: /);
    expect(issues({ ...base, clinet_id: 'typo' })).toEqual(['Unrecognized key: "clinet_id"']);
    const { timezone: _, ...noZone } = base;
    expect(issues(noZone)[0]).toMatch(/^timezone: /);
    expect(issues({ ...base, reports: [{ type: 'ivr', ivr_id_list: [1], schedule: '99 * * * *' }] })).toEqual([
      'reports[0].schedule: not a valid cron expression',
    ]);
  });
});
