/** The seed document's examples, verbatim, and a context for normaliser tests. */
import type { NormaliseContext } from '../../connectors/core/contract.js';
import { ipcortexConfigSchema, type IpcortexConfig } from '../../connectors/ipcortex/config.js';

export const INCALLS_EXAMPLE = {
  result: 'success',
  values: {
    '200': {
      name: '200snom320',
      calls: [
        {
          acctid: 27739,
          calldate: 1487850941,
          caller: '203',
          type: 'Internal',
          ringtime: 14,
          billsecs: 0,
          detail: 'Not answered',
          qtime: '',
          qstatus: '',
        },
      ],
    },
  },
};

export const OUTCALLS_EXAMPLE = {
  result: 'success',
  values: {
    '0500000004000': {
      name: 'YealinkRnD T46',
      device: 'rndT46',
      calls: [
        {
          acctid: 26123,
          calldate: 1487847464,
          type: 'Test Number',
          called_info: '',
          called: '*600',
          dialled: '*600',
          billsecs: 61,
          ringtime: 0,
          cost: 0,
          trunk: '',
          cid: '301',
        },
      ],
    },
  },
};

export const ALLCALLS_EXAMPLE = {
  result: 'success',
  values: {
    acompany: {
      name: 'A Company',
      in: {
        '446': {
          name: 'Meeting Room',
          calls: [
            {
              acctid: 2012560,
              calldate: 1493899151,
              caller: '203',
              type: 'Internal',
              ringtime: 2,
              billsecs: 0,
              detail: 'Not answered',
              qtime: '',
              qstatus: '',
              ddi: '',
            },
          ],
        },
      },
      out: {
        '0500000004000': {
          name: 'YealinkRnD T46',
          device: 'rndT46',
          calls: [
            {
              acctid: 26123,
              calldate: 1493895749,
              type: 'Test Number',
              called_info: '',
              called: '*600',
              dialled: '*600',
              billsecs: 61,
              ringtime: 0,
              cost: 0,
              trunk: '',
              cid: '301',
            },
          ],
        },
      },
    },
  },
};

export const OUTSUMMARY_EXAMPLE = {
  result: 'success',
  values: { default: { name: 'Default Company', cost: 1.23, seconds: 217, unknown: 1 } },
};

export const OUTSUMMARY_DETAIL_EXAMPLE = {
  result: 'success',
  values: {
    default: {
      name: 'Default Company',
      cost: 1.23,
      seconds: 217,
      unknown: 1,
      '0200000000001': { name: 'A User', device: 'softphone', cost: 1.23, seconds: 217, unknown: 1 },
    },
  },
};

export function testConfig(extra: Record<string, unknown> = {}): IpcortexConfig {
  return ipcortexConfigSchema.parse({
    id: 'pabx-test',
    type: 'ipcortex',
    tenant: 'acme',
    timezone: 'Europe/London',
    country: 'GB',
    base_url: 'http://127.0.0.1:9',
    username: 'billing',
    password: 'billing-pass',
    ...extra,
  });
}

export const INGESTED_AT = '2026-11-23 06:00:00.000';

export function testContext(
  meta: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): NormaliseContext<IpcortexConfig> {
  return {
    config: testConfig(extra),
    received_at: INGESTED_AT,
    ingested_at: INGESTED_AT,
    meta,
    warn: () => undefined,
  };
}
