/** A normalise context for tests: a parsed Voicenter config and fixed clock values. */
import type { NormaliseContext } from '../../connectors/core/contract.js';
import { voicenterConfigSchema, type VoicenterConfig } from '../../connectors/voicenter/config.js';

export const INGESTED_AT = '2024-06-10 12:00:00.000';

export function testConfig(overrides: Record<string, unknown> = {}): VoicenterConfig {
  return voicenterConfigSchema.parse({
    id: 'vc-test',
    type: 'voicenter',
    code: 'test-code-1234',
    ...overrides,
  });
}

export function testContext(
  meta: Record<string, string> = {},
  config = testConfig(),
): NormaliseContext<VoicenterConfig> {
  return {
    config,
    received_at: '2024-06-10 11:59:59.000',
    ingested_at: INGESTED_AT,
    meta,
    warn: () => undefined,
  };
}
