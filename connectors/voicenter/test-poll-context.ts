/** A poll context on a virtual clock: `sleep` advances time at once, so back-off costs no real time. */
import { pino } from 'pino';
import type { PollContext } from '../core/contract.js';
import { voicenterConfigSchema, type VoicenterConfig } from './config.js';

export interface VirtualPollContext extends PollContext<VoicenterConfig> {
  clock: { ms: number };
  slept: number[];
}

export function virtualContext(config: Record<string, unknown>, startIso: string): VirtualPollContext {
  const clock = { ms: Date.parse(startIso) };
  const slept: number[] = [];
  return {
    config: voicenterConfigSchema.parse({
      id: 'vc-test',
      type: 'voicenter',
      ...config,
    }),
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    session: new Map(),
    sleep: async (ms: number) => {
      slept.push(ms);
      clock.ms += ms;
    },
    now: () => new Date(clock.ms),
    clock,
    slept,
  };
}
