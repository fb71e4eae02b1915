/** A normalise context for this vendor's tests, collecting warnings. */
import type { NormaliseContext } from '../../connectors/core/contract.js';
import type { YeastarSConfig } from '../../connectors/yeastar-s/config.js';

export const RECEIVED_AT = '2024-06-01 12:00:00.000';
export const INGESTED_AT = '2024-06-01 12:00:01.000';

export function testContext(
  overrides: Partial<YeastarSConfig> = {},
): NormaliseContext<YeastarSConfig> & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    config: {
      id: 'hq-pbx',
      type: 'yeastar-s',
      tenant: 'acme',
      enabled: true,
      max_body_bytes: 1 << 20,
      timezone: 'Etc/GMT+8',
      country: 'US',
      ...overrides,
    },
    received_at: RECEIVED_AT,
    ingested_at: INGESTED_AT,
    meta: {},
    warn: (message) => void warnings.push(message),
    warnings,
  };
}
