import { describeConnector } from '../../test/compliance.js';
import { startSimulator } from '../../simulators/ipcortex/index.js';
import ipcortex from './index.js';

const base = {
  id: 'pabx',
  type: 'ipcortex',
  timezone: 'Europe/London',
  country: 'GB',
  base_url: 'http://127.0.0.1:1',
  username: 'billing',
  password: 'billing-pass',
};

describeConnector(ipcortex, {
  config: base,
  invalid: [
    { patch: { base_url: 'not a url' }, path: 'base_url' },
    { patch: { lookback_days: -1 }, path: 'lookback_days' },
    { patch: { username: undefined }, path: 'username' },
  ],
  badBodies: [
    { body: '{"allcalls":', meta: { endpoint: 'allcalls' } },
    { body: '{"company":"c1","in":"nope"}', meta: { endpoint: 'outsummary', company: 'c1', month: '2024-06-01' } },
  ],
  poll: {
    now: '2024-06-12T12:00:00Z',
    simulator: () => startSimulator({ seed: 7, callsPerDay: 16, timezone: 'Europe/London' }),
    config: (sim) => ({
      ...base,
      base_url: sim.url,
      cost_divisor: 100,
      lookback_days: 0,
      retry_base_ms: 1000,
      retry_max_ms: 8000,
    }),
    resume: 'overlap',
    futureCursor: { day: '2999-01-01' },
    vendorError: { config: { password: 'wrong-password' }, code: 'VENDOR_AUTH' },
  },
});
