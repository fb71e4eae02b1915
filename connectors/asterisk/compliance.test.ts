import { rm } from 'node:fs/promises';
import { describeConnector } from '../../test/compliance.js';
import { startSimulator } from '../../simulators/asterisk/index.js';
import asterisk from './index.js';

const LINE =
  '"","02079460123","02079460000","from-trunk","""Smith, John"" <02079460123>","PJSIP/trunk-gb-00000001","PJSIP/1001-00000002","Dial","PJSIP/1001,30","2024-06-10 09:00:00","2024-06-10 09:00:05","2024-06-10 09:01:05",65,60,"ANSWERED","DOCUMENTATION","1718010000.1","","1718010000.1","1"';

describeConnector(asterisk, {
  config: {
    id: 'pbx',
    type: 'asterisk',
    timezone: 'Europe/London',
    country: 'GB',
    extra_columns: ['linkedid', 'sequence'],
    trunks: ['trunk-gb'],
  },
  invalid: [
    { patch: { directory: 'relative/dir' }, path: 'directory' },
    { patch: { extra_columns: ['linkedid', 'colour'] }, path: 'extra_columns' },
    { patch: { timezone: 'Mars/Olympus' }, path: 'timezone' },
    { patch: { file_pattern: '(' }, path: 'file_pattern' },
  ],
  samples: [{ body: `${LINE}\n` }, { body: LINE }],
  badBodies: [
    { body: LINE.replace('"2024-06-10 09:00:00"', '"yesterday"') },
    { body: LINE.replace(',65,60,', ',sixty,60,') },
    { body: '"only","three","columns"\n' },
    { body: '"unterminated,\n' },
  ],
  poll: {
    simulator: () => startSimulator({ seed: 3, timezone: 'Europe/London', initialCalls: 12 }),
    config: (sim) => ({
      id: 'pbx',
      type: 'asterisk',
      timezone: 'Europe/London',
      country: 'GB',
      directory: sim.directory,
      extra_columns: ['linkedid', 'sequence'],
      trunks: ['trunk-gb'],
    }),
    resume: 'nothing',
    futureCursor: { file: '', ino: 0, offset: 0, mtime: 32503680000000 },
    vendorError: { trigger: (sim) => rm(sim.directory, { recursive: true, force: true }), code: 'VENDOR_UNAVAILABLE' },
  },
});
