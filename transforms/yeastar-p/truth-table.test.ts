/**
 * Yeastar P-Series truth table, worked out by hand from seed 002, VENDORS.md §3 and the vendor's
 * event documentation: 30011 member states, 30012 in a repeated DST hour (its call_id epoch
 * decides), and report files whose headers are spelled otherwise than our own layout (the CSV
 * layout is undocumented, so these headers are plausible vendor spellings, not the simulator's).
 */
import { describe, expect, it, test } from 'vitest';
import type { NormaliseContext, Observation } from '../../connectors/core/contract.js';
import { config, normaliseContext } from '../../connectors/yeastar-p/testing.js';
import { normaliseYeastarP } from './index.js';

function context(meta: Record<string, string> = {}, cfg = config()) {
  const warnings: string[] = [];
  const observed: Observation[] = [];
  const ctx: NormaliseContext = {
    ...normaliseContext(cfg, meta),
    warn: (m) => void warnings.push(m),
    observe: (o) => void observed.push(o),
  };
  return { ctx, warnings, observed };
}

const member = (kind: 'extension' | 'inbound' | 'outbound', status: string, number = '2005') =>
  kind === 'extension'
    ? { extension: { number, channel_id: `PJSIP/${number}-1`, member_status: status } }
    : {
        [kind]: {
          from: '+4930901820',
          to: '6400',
          trunk_name: 'SIP-1',
          channel_id: 'PJSIP/t-1',
          member_status: status,
        },
      };

describe('yeastar-p truth table: 30011 Call State Changed', () => {
  it.each([
    ['the caller hears ringback', 'ringback', [member('extension', 'ALERT')]],
    [
      'the callee rings (with the caller in ringback)',
      'ring',
      [member('extension', 'ALERT'), member('extension', 'RING', '2002')],
    ],
    ['an outside callee in early media', 'ring', [member('extension', 'ALERT'), member('outbound', 'EARLYMEDIA')]],
    [
      'the callee answered (the caller: ANSWERED)',
      'answer',
      [member('extension', 'ANSWERED'), member('inbound', 'ANSWER')],
    ],
    ['only the caller side reported answered', 'answered', [member('extension', 'ANSWERED')]],
    ['a member hung up', 'hangup', [member('extension', 'BYE'), member('inbound', 'ANSWER')]],
    ['a member on hold', 'other', [member('extension', 'HOLD'), member('inbound', 'ANSWER')]],
    ['a status not documented', 'other', [member('extension', 'PARKED')]],
    ['lowercase statuses', 'ring', [member('extension', 'ring')]],
  ])('%s → %s', (_name, type, members) => {
    const body = JSON.stringify({
      type: 30011,
      sn: '3631A2124XXX',
      msg: JSON.stringify({ call_id: '1651057476.362', members }),
    });
    const out = normaliseYeastarP(Buffer.from(body), 'application/json', context().ctx);
    expect(out.events[0]).toMatchObject({ event_type: type, vendor_action: '30011', call_id: '1651057476.362' });
  });
});

describe('yeastar-p truth table: 30012 at a DST change', () => {
  // Berlin, 27 Oct 2024: 02:30 is 00:30Z (CEST) and again 01:30Z (CET). 2024-10-27T00:00Z is
  // 1729987200, so 01:30Z is 1729992600.
  const cdr = (callId: string) =>
    JSON.stringify({
      type: 30012,
      sn: 'X',
      msg: {
        call_id: callId,
        time_start: '2024-10-27 02:30:00',
        call_from: '2005',
        call_to: '2002',
        call_duration: 10,
        talk_duration: 8,
        status: 'ANSWERED',
        type: 'Internal',
      },
    });

  test('the call_id epoch takes the second reading of the repeated hour', () => {
    const { ctx, observed } = context();
    const call = normaliseYeastarP(Buffer.from(cdr('1729992600.9')), 'application/json', ctx).calls[0]!;
    expect([call.started_at, call.started_local]).toEqual(['2024-10-27 01:30:00.000', '2024-10-27 02:30:00.000']);
    expect(observed).toEqual([{ kind: 'dst_overlap', resolved_by: 'vendor_time' }]);
  });

  test('without an epoch call_id, the earlier reading, by rule', () => {
    const { ctx, observed } = context();
    const call = normaliseYeastarP(Buffer.from(cdr('no-epoch')), 'application/json', ctx).calls[0]!;
    expect(call.started_at).toBe('2024-10-27 00:30:00.000');
    expect(observed).toEqual([{ kind: 'dst_overlap', resolved_by: 'rule' }]);
  });
});

const META = {
  report_type: 'extcallstatistics',
  period_start: '2024-03-09 23:00:00.000',
  period_end: '2024-03-10 23:00:00.000',
  first_row_number: '1',
};

const CANONICAL = {
  'Extension Number': '1004',
  'Extension Name': 'Smith, John',
  'Answered Calls': '5',
  'No Answer Calls': '2',
  'Busy Calls': '1',
  'Failed Calls': '0',
  'Voicemail Calls': '1',
  'Abandoned Calls': '0',
  'Total Calls': '9',
  'Total Holding Time': '9',
  'Total Talking Time': '00:03:07',
};
const CELLS = '1004,"Smith, John",5,2,1,0,1,0,9,9,00:03:07\r\n';

describe('yeastar-p truth table: report headers as a PBX may spell them', () => {
  it.each([
    [
      'UI labels, short and with units',
      'Ext.,Name,Answered,No Answer,Busy,Failed,Voicemail,Abandoned,Total,Hold Time(s),Talk Duration (hh:mm:ss)',
    ],
    [
      'the snake_case keys of call_report/list',
      'ext_num,ext_name,answered_calls,no_answer_calls,busy_calls,failed_calls,voicemail_calls,abandoned_calls,total_call_count,total_holding_time,total_talking_time',
    ],
    [
      'upper case and extra spaces',
      'EXTENSION  NUMBER, Extension Name ,ANSWERED CALLS,NO ANSWER CALLS,BUSY CALLS,FAILED CALLS,VOICEMAIL CALLS,ABANDONED CALLS,TOTAL CALLS,TOTAL HOLDING TIME,TOTAL TALKING TIME',
    ],
    [
      'camelCase and other words',
      'extensionNumber,extensionName,answeredCalls,unansweredCalls,busyCalls,failedCalls,voiceMailCalls,abandonCalls,callCount,totalHoldTime,totalTalkTime',
    ],
  ])('%s: every cell lands under the column the views read, nothing else is said', (_name, header) => {
    const { ctx, warnings, observed } = context(META);
    const rows = normaliseYeastarP(Buffer.from(`${header}\r\n${CELLS}`), 'text/csv', ctx).reportRows;
    expect(rows.map((r) => r.fields)).toEqual([CANONICAL]);
    expect(warnings).toEqual([]);
    expect(observed).toEqual([]);
  });

  test('an unknown layout keeps every cell under its own header and says so: headers, missing columns, a count', () => {
    const { ctx, warnings, observed } = context(META);
    const csv = 'Nebenstelle,Angenommen,Gesamtgesprächszeit\r\n1004,5,00:03:07\r\n';
    const rows = normaliseYeastarP(Buffer.from(csv), 'text/csv', ctx).reportRows;
    expect(rows.map((r) => r.fields)).toEqual([
      { Nebenstelle: '1004', Angenommen: '5', Gesamtgesprächszeit: '00:03:07' },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('headers seen: Nebenstelle, Angenommen, Gesamtgesprächszeit');
    expect(warnings[0]).toContain('columns not found: Extension Number, Extension Name, Answered Calls');
    expect(observed).toEqual([
      {
        kind: 'report_layout_unmatched',
        report_type: 'extcallstatistics',
        headers: ['Nebenstelle', 'Angenommen', 'Gesamtgesprächszeit'],
        missing: Object.keys(CANONICAL),
      },
    ]);
  });

  test('a later chunk of the same file (its header repeated) says nothing again', () => {
    const { ctx, warnings, observed } = context({ ...META, first_row_number: '1001' });
    normaliseYeastarP(Buffer.from('Nebenstelle,Angenommen\r\n1004,5\r\n'), 'text/csv', ctx);
    expect([warnings, observed]).toEqual([[], []]);
  });

  test('a partly matched header names only the columns it lacks; two headers for one column keep both', () => {
    const { ctx, observed } = context({ ...META, report_type: 'queueperformance' });
    const csv =
      'Queue,Queue Name,Calls,Answered,Abandoned,Avg. Wait Time (s),Average Talk Time,Max Wait Time,Service Level (%),Total\r\n' +
      '6400,Sales,10,8,2,12,95,40,80%,11\r\n';
    const rows = normaliseYeastarP(Buffer.from(csv), 'text/csv', ctx).reportRows;
    expect(rows[0]!.fields).toEqual({
      'Queue Number': '6400',
      'Queue Name': 'Sales',
      'Total Calls': '10',
      'Answered Calls': '8',
      'Abandoned Calls': '2',
      'Average Waiting Time': '12',
      'Average Talking Time': '95',
      'Max Waiting Time': '40',
      'Service Level': '80%',
      // "Total" would also be Total Calls, which "Calls" already gave: it keeps its own name.
      Total: '11',
    });
    expect(observed).toEqual([
      expect.objectContaining({ kind: 'report_layout_unmatched', missing: ['Transferred Calls'] }),
    ]);
  });
});
