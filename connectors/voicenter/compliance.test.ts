import { describeConnector } from '../../test/compliance.js';
import { startSimulator } from '../../simulators/voicenter/index.js';
import voicenter from './index.js';

const NOTIFICATION = JSON.stringify({
  ivruniqueid: '202007211213270124c',
  time: 1595333610,
  type: 'Queue',
  status: 'ANSWER',
  caller: '0501234567',
  target: '1001',
  duration: 20,
});

describeConnector(voicenter, {
  config: { id: 'vc', type: 'voicenter' },
  invalid: [
    { patch: { overlap_minutes: -5 }, path: 'overlap_minutes' },
    { patch: { base_url: 'nope' }, path: 'base_url' },
    { patch: { identity_criteria: 'Everyone' }, path: 'identity_criteria' },
  ],
  samples: [{ body: NOTIFICATION, contentType: 'application/json' }],
  badBodies: [
    { body: '{"ivruniqueid":', contentType: 'application/json' },
    { body: NOTIFICATION.replace('1595333610', '"soon"'), contentType: 'application/json' },
  ],
  poll: {
    now: '2024-06-12T12:00:00Z',
    simulator: () => startSimulator({ seed: 7, callsPerDay: 60, requestsPerMinute: 100_000 }),
    config: (sim) => ({
      id: 'vc',
      type: 'voicenter',
      base_url: sim.url,
      code: sim.code,
      requests_per_minute: 100_000,
      min_spacing_ms: 0,
    }),
    resume: 'overlap',
    futureCursor: { to: '2999-01-01T00:00:00.000Z' },
    vendorError: { config: { code: 'not-the-code' }, code: 'VENDOR_AUTH' },
  },
});
