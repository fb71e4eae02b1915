import { describeConnector } from '../../test/compliance.js';
import { startSimulator } from '../../simulators/yeastar-p/index.js';
import yeastarP from './index.js';

const EVENT =
  '{"type":30012,"sn":"3631A2124XXX","msg":"{\\"call_id\\":\\"1651057476.362\\",\\"time_start\\":\\"2024/03/10 10:00:00\\",\\"call_from\\":\\"1001\\",\\"call_to\\":\\"1002\\",\\"call_duration\\":8,\\"talk_duration\\":5,\\"ring_duration\\":3,\\"status\\":\\"ANSWERED\\",\\"call_type\\":\\"Internal\\",\\"uid\\":\\"2024111913594421D77\\"}"}';
const base = {
  id: 'pbx-p',
  type: 'yeastar-p',
  timezone: 'Europe/Berlin',
  country: 'DE',
  base_url: 'http://127.0.0.1:1',
  client_id: 'sim-client-id',
  client_secret: 'sim-client-secret',
};
const HOURLY = { type: 'queueperformance', queue_id_list: [1, 2], granularity: 'hour' };

describeConnector(yeastarP, {
  config: base,
  invalid: [
    { patch: { display_format: 'DD.MM.YYYY' }, path: 'display_format' },
    { patch: { clock: '13' }, path: 'clock' },
    { patch: { reports: [{ type: 'no-such-report' }] }, path: 'reports' },
  ],
  samples: [{ body: EVENT, contentType: 'application/json' }],
  badBodies: [{ body: 'type=30012' }, { body: '[]', contentType: 'application/json' }],
  poll: {
    now: '2024-03-11T09:00:00Z',
    simulator: () =>
      startSimulator({ timezone: 'Europe/Berlin', seed: 7, now: () => Date.parse('2024-03-11T09:00:00Z') }),
    config: (sim) => ({ ...base, base_url: sim.url, reports: [HOURLY] }),
    resume: 'nothing',
    futureCursor: { queueperformance: '2999-01-01T00:00:00.000Z' },
    vendorError: { config: { client_secret: 'wrong-secret' }, code: 'VENDOR_AUTH' },
  },
});
