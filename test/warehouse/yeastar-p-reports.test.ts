/** The typed Yeastar P report views over report_rows, on the real embedded engine. */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { insertRows } from '../../runtime/warehouse.js';
import type { ReportRow } from '../../transforms/core/model.js';
import { openTestWarehouse } from '../helpers/warehouse.js';
import { expectRows, rowsOf } from './helpers.js';

let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
const row = (
  report_type: string,
  row_number: number,
  fields: Record<string, string>,
  ingested = '2024-05-01 10:00:00.000',
): ReportRow => ({
  tenant: 'acme',
  connector_id: 'p-1',
  report_type,
  period_start: '2024-04-01 00:00:00.000',
  period_end: '2024-05-01 00:00:00.000',
  row_number,
  fields,
  ingested_at: ingested,
});

beforeAll(async () => {
  wh = await openTestWarehouse();
  const ext = {
    'Extension Number': '1001',
    'Extension Name': 'Smith, John',
    'Answered Calls': '5',
    'No Answer Calls': '2',
    'Busy Calls': '1',
    'Failed Calls': '0',
    'Voicemail Calls': '1',
    'Abandoned Calls': '0',
    'Total Calls': '9',
    'Total Holding Time': '00:00:09',
    'Total Talking Time': '03:07',
  };
  await insertRows(wh, 'report_rows', [
    row('extcallstatistics', 1, { ...ext, 'Total Talking Time': '1:00:00' }, '2024-05-01 09:00:00.000'), // replaced below
    row('extcallstatistics', 1, ext),
    row('extcallstatistics', 2, {
      ...ext,
      'Extension Number': '1002',
      'Extension Name': 'B',
      'Total Calls': '',
      'Total Holding Time': 'n/a',
      'Total Talking Time': '75',
    }),
    row('queueperformance', 1, {
      'Queue Number': '6400',
      'Queue Name': 'Sales',
      'Total Calls': '10',
      'Answered Calls': '8',
      'Abandoned Calls': '2',
      'Transferred Calls': '1',
      'Average Waiting Time': '00:00:12',
      'Average Talking Time': '00:02:30',
      'Max Waiting Time': '00:01:05',
      'Service Level': '85%',
    }),
    row('queueagentperformance', 1, {
      'Agent Number': '1001',
      'Agent Name': 'Smith, John',
      'Total Calls': '7',
      'Answered Calls': '6',
      'Missed Calls': '1',
      'Total Talking Time': '0:10:00',
      'Average Talking Time': '100',
      'Total Holding Time': '',
    }),
  ]);
});
afterAll(async () => wh?.drop());

describe('Yeastar P typed report views', () => {
  const head = ['acme', 'p-1', '2024-04-01 00:00:00.000', '2024-05-01 00:00:00.000'];
  it('extension call statistics: counts, durations in seconds, NULL for blank or malformed cells', async () => {
    expectRows(await rowsOf(wh, 'yeastar_p_ext_call_statistics', 'row_number'), [
      [...head, 1, '1001', 'Smith, John', 5, 2, 1, 0, 1, 0, 9, 9, 187],
      [...head, 2, '1002', 'B', 5, 2, 1, 0, 1, 0, 'null', 'null', 75],
    ]);
  });
  it('queue performance: service level as a ratio', async () => {
    expectRows(await rowsOf(wh, 'yeastar_p_queue_performance', 'row_number'), [
      [...head, 1, '6400', 'Sales', 10, 8, 2, 1, 12, 150, 65, 0.85],
    ]);
  });
  it('agent performance', async () => {
    expectRows(await rowsOf(wh, 'yeastar_p_agent_performance', 'row_number'), [
      [...head, 1, '1001', 'Smith, John', 7, 6, 1, 600, 100, 'null'],
    ]);
  });
});
