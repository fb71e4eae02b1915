/**
 * A P-Series report whose headers are spelled otherwise than our own layout (hand-written, as a
 * PBX may write them: short UI labels with units, and the API's snake_case keys) still fills the
 * typed report views, through the normaliser and the real embedded engine. Expected values are
 * the cells, worked out by hand: 00:03:07 is 187 s, 1:02:03 is 3723 s, 80% is 0.8.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { insertRows } from '../../runtime/warehouse.js';
import { config, normaliseContext } from '../../connectors/yeastar-p/testing.js';
import { normaliseYeastarP } from '../../transforms/yeastar-p/index.js';
import { openTestWarehouse } from '../helpers/warehouse.js';
import { expectRows, rowsOf } from './helpers.js';

let wh: Awaited<ReturnType<typeof openTestWarehouse>>;
const period = { period_start: '2024-04-01 00:00:00.000', period_end: '2024-05-01 00:00:00.000' };

function rows(reportType: string, csv: string) {
  return normaliseYeastarP(
    Buffer.from(csv),
    'text/csv',
    normaliseContext(config(), { report_type: reportType, ...period }),
  ).reportRows;
}

beforeAll(async () => {
  wh = await openTestWarehouse();
  await insertRows(wh, 'report_rows', [
    ...rows(
      'extcallstatistics',
      'Extension Call Statistics\r\n' +
        'Ext.,Name,Answered,No Answer,Busy,Failed,Voicemail,Abandoned,Total,Hold Time(s),Talk Duration (hh:mm:ss)\r\n' +
        '1001,"Smith, John",5,2,1,0,1,0,9,9,00:03:07\r\n' +
        'Total,,5,2,1,0,1,0,9,9,00:03:07\r\n',
    ),
    ...rows(
      'queueperformance',
      'queue_number,queue_name,total_calls,answered_calls,abandoned_calls,transferred_calls,avg_waiting_time,avg_talking_time,max_waiting_time,service_level\r\n' +
        '6400,Sales,10,8,2,1,12,1:02:03,65,80%\r\n',
    ),
  ]);
});
afterAll(async () => wh?.drop());

describe('typed report views over headers spelled by a PBX', () => {
  const head = ['pbx-p', 'pbx-p', '2024-04-01 00:00:00.000', '2024-05-01 00:00:00.000'];
  it('extension call statistics from UI labels with units', async () => {
    expectRows(await rowsOf(wh, 'yeastar_p_ext_call_statistics', 'row_number'), [
      [...head, 1, '1001', 'Smith, John', 5, 2, 1, 0, 1, 0, 9, 9, 187],
    ]);
  });
  it('queue performance from snake_case keys', async () => {
    expectRows(await rowsOf(wh, 'yeastar_p_queue_performance', 'row_number'), [
      [...head, 1, '6400', 'Sales', 10, 8, 2, 1, 12, 3723, 65, 0.8],
    ]);
  });
});
