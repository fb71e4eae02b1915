/**
 * Every vendor's normaliser, as the transform role calls it (through the connector registry),
 * against generated hostile inputs (test/fuzz/generators.ts): each input must end as canonical
 * records or as a bad-input error, which the transform role dead-letters. Anything else thrown
 * (a TypeError, a RangeError, an error of another code) is a crash. The counts are printed and
 * written to .vitest-tmp/fuzz-normalisers.json for docs/reliability.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BaseConnectorConfig } from '../../connectors/core/config.js';
import { CONNECTORS } from '../../connectors/registry.js';
import { CallhouseError } from '../../runtime/errors.js';
import { variants, VENDOR_INPUTS, type FuzzInput } from './generators.js';

/** Inputs per vendor: 950 000 over five vendors (a generated input and nine variants of it); with the ingest route fuzz, 10^6 in all. */
const PER_VENDOR = Number(process.env.FUZZ_PER_VENDOR ?? 190_000);
const BAD_INPUT = new Set(['PARSE_ERROR', 'INVALID_VALUE', 'UNSUPPORTED_PAYLOAD']);

interface Tally {
  inputs: number;
  records: number;
  withRecords: number;
  deadLetters: number;
  /** A valid report that holds no record (an empty list, an event type that carries no call). */
  empty: number;
  crashes: { input: string; error: string }[];
}

const tallies: Record<string, Tally> = {};

function run(spec: (typeof CONNECTORS)[number], config: BaseConnectorConfig, input: FuzzInput, t: Tally): void {
  t.inputs += 1;
  try {
    const out = spec.normalise(input.body, input.contentType, {
      config,
      received_at: '2024-06-10 11:59:59.000',
      ingested_at: '2024-06-10 12:00:00.000',
      meta: input.meta,
      warn: () => undefined,
    });
    const n = out.calls.length + out.events.length + out.reportRows.length + (out.billing?.length ?? 0);
    t.records += n;
    if (n > 0) t.withRecords += 1;
    else t.empty += 1;
  } catch (e) {
    if (e instanceof CallhouseError && BAD_INPUT.has(e.code) && !e.retriable) t.deadLetters += 1;
    else if (t.crashes.length < 20)
      t.crashes.push({
        input: input.body.toString('latin1').slice(0, 300),
        error: String((e as Error)?.stack ?? e).slice(0, 500),
      });
    else t.crashes.length += 0;
  }
}

describe('fuzzing every normaliser', () => {
  for (const spec of CONNECTORS) {
    it(`${spec.type}: ${PER_VENDOR} generated inputs end as records or a dead letter, never a crash`, () => {
      const arb = VENDOR_INPUTS[spec.type];
      expect(arb, `no generator for ${spec.type}`).toBeDefined();
      const config = spec.configSchema.parse({ ...spec.example, id: 'fuzz', timezone: 'Europe/London', country: 'GB' });
      const t: Tally = (tallies[spec.type] = {
        inputs: 0,
        records: 0,
        withRecords: 0,
        deadLetters: 0,
        empty: 0,
        crashes: [],
      });
      let crashed = 0;
      fc.assert(
        fc.property(arb!, fc.nat(), (input, seed) => {
          for (const v of variants(input, seed)) {
            const before = t.crashes.length;
            run(spec, config, v, t);
            crashed += t.crashes.length - before;
          }
        }),
        { numRuns: Math.ceil(PER_VENDOR / 10), seed: 22, endOnFailure: true },
      );
      const out = { ...t, crashes: t.crashes.length };
      console.log(`fuzz ${spec.type}: ${JSON.stringify(out)}`);
      expect(t.crashes).toEqual([]);
      expect(crashed).toBe(0);
      expect(t.inputs).toBeGreaterThanOrEqual(PER_VENDOR);
      // Every input is accounted for: records, a valid empty result or a dead letter.
      expect(t.withRecords + t.empty + t.deadLetters).toBe(t.inputs);
      expect(t.deadLetters).toBeGreaterThan(0);
      expect(t.withRecords).toBeGreaterThan(0);
    }, 300_000);
  }

  it('writes the counts', () => {
    const total = Object.values(tallies).reduce((n, t) => n + t.inputs, 0);
    mkdirSync('.vitest-tmp', { recursive: true });
    writeFileSync('.vitest-tmp/fuzz-normalisers.json', JSON.stringify({ total, tallies }, null, 1));
    console.log(`fuzz normalisers: ${total} inputs in all`);
    expect(total).toBeGreaterThanOrEqual(5 * PER_VENDOR);
  });
});
