/**
 * The connector compliance suite: what every connector must do, checked the same way for all.
 * Each connector's tests begin with one call:
 *
 *   describeConnector(asterisk, { invalid: [...], samples: [...], badBodies: [...], poll: {...} });
 *
 * It registers vitest tests (unit level: no Kafka, no warehouse; pollers talk to the connector's
 * simulator over loopback) for:
 *   - configuration: the spec's example validates; invalid variants are rejected by
 *     `validateConfig` with errors naming the key by path (`connectors[0].<key>`); unknown keys too;
 *   - records: sample payloads (push) and what a read of the simulator yields (poll) normalise
 *     into records that match the canonical schemas, with stable identities (the same input twice
 *     gives the same call_id/leg/event_key) and deterministic content;
 *   - poll: `check` against the simulator; a resume from the saved cursor re-emits nothing new (or,
 *     where the connector documents an overlap, only payloads the first read already emitted); a
 *     cursor in the future reads nothing; a vendor error ends in the documented error code;
 *   - bad input: documented bad bodies end in dead letters (accept or normalise throw a
 *     non-retriable CallhouseError), and no body whatsoever makes them throw anything else.
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { BaseConnectorConfig } from '../connectors/core/config.js';
import type {
  ConnectorSpec,
  Cursor,
  NormaliseContext,
  PollBatch,
  PollContext,
  PollWindow,
  RawPayload,
} from '../connectors/core/contract.js';
import { validateConfig } from '../runtime/config.js';
import { CallhouseError, type ErrorCode } from '../runtime/errors.js';
import {
  BillingRowSchema,
  CallEventSchema,
  CallRecordSchema,
  ReportRowSchema,
  type Normalised,
} from '../transforms/core/model.js';

/** A body as a vendor sends it (push) or as a poller would put it on `raw.<type>`. */
export interface Sample {
  body: string | Buffer;
  contentType?: string;
  meta?: Record<string, string>;
  /** Give the body straight to `normalise` even when the connector has an ingest side. */
  direct?: boolean;
}

export interface InvalidConfig {
  /** Merged into the valid configuration (a key set to `undefined` is removed). */
  patch: Record<string, unknown>;
  /** The key the error must name, relative to the connector: `connectors[0].<path>`. */
  path: string;
}

export interface PollCompliance<S extends { close(): Promise<void> }> {
  /** Starts the connector's simulator (closed after each test). */
  simulator(): Promise<S>;
  /** The raw configuration (as in callhouse.yaml) of an instance reading from `sim`. */
  config(sim: S): Record<string, unknown>;
  /** The clock of every read (ISO); default: the time the suite is declared. */
  now?: string;
  /** A poll context for `config`; default: silent logger, instant sleeps, the fixed clock. */
  context?(config: BaseConnectorConfig, sim: S): PollContext;
  /**
   * What a read from the saved cursor may emit when the vendor has nothing new: `nothing`, or
   * `overlap` (the connector documents a re-read window: only payloads the first read emitted).
   */
  resume: 'nothing' | 'overlap';
  /** A cursor beyond all the simulator's data: a read from it must emit nothing. */
  futureCursor: Cursor;
  /** How to make the vendor fail, and the error code the read must end in. */
  vendorError: {
    /** Configuration keys changed for the failing read (e.g. a wrong password). */
    config?: Record<string, unknown>;
    /** Or a change to the simulator before the read. */
    trigger?(sim: S): void | Promise<void>;
    code: ErrorCode;
  };
}

export interface ComplianceOptions<S extends { close(): Promise<void> }> {
  /** A valid raw configuration to derive invalid ones from; default: the spec's example. */
  config?: Record<string, unknown>;
  /** Invalid configurations and the key each must be rejected for (at least one). */
  invalid: InvalidConfig[];
  /** Vendor bodies that must normalise into at least one record each (push connectors: required). */
  samples?: Sample[];
  /** Bodies that must end in dead letters (at least one). */
  badBodies: Sample[];
  poll?: PollCompliance<S>;
}

const SECRET = 'compliance-secret-0123456789';
const INGESTED_AT = '2030-01-01 00:00:00.000';

/** An environment that sets every `${NAME}` an example refers to. */
function envFor(raw: unknown): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const m of JSON.stringify(raw).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[m[1]!] ??= SECRET;
  return env;
}

function parseConfig(raw: Record<string, unknown>): BaseConnectorConfig {
  return validateConfig({ connectors: [raw] }, envFor(raw)).connectors[0]!;
}

function patched(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete out[k];
  return out;
}

function configErrors(raw: Record<string, unknown>): string[] {
  try {
    validateConfig({ connectors: [raw] }, envFor(raw));
  } catch (e) {
    expect(e).toBeInstanceOf(CallhouseError);
    expect((e as CallhouseError).code).toBe('CONFIG_INVALID');
    return ((e as CallhouseError).details?.errors as string[] | undefined) ?? [];
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(raw)}`);
}

export function normaliseContext<C extends BaseConnectorConfig>(
  config: C,
  meta: Record<string, string> = {},
  ingestedAt = INGESTED_AT,
): NormaliseContext<C> & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    config,
    received_at: '2030-01-01 00:00:00.000',
    ingested_at: ingestedAt,
    meta,
    warn: (m) => void warnings.push(m),
    warnings,
  };
}

/** Runs what the runtime runs for one body: accept (push) then normalise each payload. */
export function processBody(
  spec: ConnectorSpec<BaseConnectorConfig>,
  config: BaseConnectorConfig,
  s: Sample,
  ingestedAt = INGESTED_AT,
): { payloads: RawPayload[]; out: Normalised[] } {
  const body = Buffer.isBuffer(s.body) ? s.body : Buffer.from(s.body, 'utf8');
  const ct = s.contentType ?? 'application/octet-stream';
  const payloads: RawPayload[] =
    spec.ingest && !s.direct
      ? spec.ingest.accept(body, ct, config)
      : [{ key: '', body, content_type: ct, meta: s.meta ?? {} }];
  const out = payloads.map((p) =>
    spec.normalise(p.body, p.content_type, normaliseContext(config, { ...p.meta, ...(s.meta ?? {}) }, ingestedAt)),
  );
  return { payloads, out };
}

function normalisePayloads(
  spec: ConnectorSpec<BaseConnectorConfig>,
  config: BaseConnectorConfig,
  payloads: RawPayload[],
  ingestedAt = INGESTED_AT,
): Normalised[] {
  return payloads.map((p) => spec.normalise(p.body, p.content_type, normaliseContext(config, p.meta, ingestedAt)));
}

/** Every record valid against the canonical schemas; returns how many there were. */
function expectCanonical(outs: Normalised[]): number {
  let n = 0;
  for (const o of outs) {
    for (const r of o.calls) expect(CallRecordSchema.safeParse(r).error?.issues ?? []).toEqual([]);
    for (const r of o.events) expect(CallEventSchema.safeParse(r).error?.issues ?? []).toEqual([]);
    for (const r of o.reportRows) expect(ReportRowSchema.safeParse(r).error?.issues ?? []).toEqual([]);
    for (const r of o.billing) expect(BillingRowSchema.safeParse(r).error?.issues ?? []).toEqual([]);
    n += o.calls.length + o.events.length + o.reportRows.length + o.billing.length;
  }
  return n;
}

/** The warehouse identity of every record (what ReplacingMergeTree keys on). */
function identities(outs: Normalised[]): string[] {
  return outs.flatMap((o) => [
    ...o.calls.map((c) => `call ${c.tenant}|${c.connector_id}|${c.call_id}|${c.leg}`),
    ...o.events.map((e) => `event ${e.call_id}|${e.event_key}`),
    ...o.reportRows.map((r) => `report ${r.report_type}|${r.period_start}|${r.row_number}`),
    ...o.billing.map((b) => `billing ${b.month}|${b.company}|${b.device_id}`),
  ]);
}

/** Everything but ingested_at, which is the one field allowed to differ between two runs. */
function withoutIngestTime(outs: Normalised[]): unknown {
  return JSON.parse(JSON.stringify(outs, (k, v: unknown) => (k === 'ingested_at' ? undefined : v)));
}

async function expectError(p: Promise<unknown> | (() => unknown), code?: ErrorCode): Promise<CallhouseError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e, `expected a CallhouseError, got ${String(e)}`).toBeInstanceOf(CallhouseError);
    if (code) expect((e as CallhouseError).code).toBe(code);
    return e as CallhouseError;
  }
  throw new Error(`expected ${code ?? 'a CallhouseError'}, but it succeeded`);
}

function defaultContext(config: BaseConnectorConfig, now: Date): PollContext {
  return {
    config,
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    session: new Map(),
    sleep: async () => undefined,
    now: () => now,
  };
}

async function readAll(
  spec: ConnectorSpec<BaseConnectorConfig>,
  ctx: PollContext,
  cursor: Cursor | null,
  window?: PollWindow,
): Promise<PollBatch[]> {
  const out: PollBatch[] = [];
  for await (const b of spec.poll!.read(ctx, cursor, window)) out.push(b);
  return out;
}

const fingerprint = (p: RawPayload): string =>
  `${p.key}\u0000${p.content_type}\u0000${JSON.stringify(p.meta)}\u0000${p.body.toString('base64')}`;

/** Registers the compliance tests of one connector (call it at the top of the connector's tests). */
export function describeConnector<
  C extends BaseConnectorConfig,
  S extends { close(): Promise<void> } = { close(): Promise<void> },
>(specOfC: ConnectorSpec<C>, opts: ComplianceOptions<S>): void {
  const spec = specOfC as unknown as ConnectorSpec<BaseConnectorConfig>;
  const base = opts.config ?? spec.example;
  const suiteNow = new Date(opts.poll?.now ?? Date.now());

  describe(`${spec.type}: connector compliance`, () => {
    it('declares a type, a title, a schema, an example and a push or poll side', () => {
      expect(spec.type).toMatch(/^[a-z0-9-]+$/);
      expect(spec.title.length).toBeGreaterThan(0);
      expect(spec.ingest ?? spec.poll).toBeDefined();
      expect(spec.example.type).toBe(spec.type);
      if (spec.ingest) expect((opts.samples ?? []).length, 'a push connector supplies samples').toBeGreaterThan(0);
      if (spec.poll) expect(opts.poll, 'a poll connector supplies poll options').toBeDefined();
    });

    it('accepts its example configuration', () => {
      const c = parseConfig(spec.example);
      expect(c.type).toBe(spec.type);
      expect(c.tenant.length).toBeGreaterThan(0);
      expect(parseConfig(base).type).toBe(spec.type);
    });

    it('rejects invalid configurations with errors naming the key by path', () => {
      expect(opts.invalid.length).toBeGreaterThan(0);
      const cases: InvalidConfig[] = [
        ...opts.invalid,
        { patch: { id: 'Not An Id!' }, path: 'id' },
        { patch: { max_body_bytes: -1 }, path: 'max_body_bytes' },
      ];
      for (const c of cases) {
        const errors = configErrors(patched(base, c.patch));
        expect(
          errors.some((e) => new RegExp(`^connectors\\[0\\]\\.${c.path.replace(/[.[\]]/g, '\\$&')}[:.[]`).test(e)),
          `${JSON.stringify(c.patch)} → ${errors.join('; ')}`,
        ).toBe(true);
      }
      // An unknown key is a typo, not something to ignore.
      const unknown = configErrors(patched(base, { no_such_setting: true }));
      expect(unknown.join('\n')).toMatch(/^connectors\[0\].*no_such_setting/m);
    });

    if (opts.samples?.length) {
      it('normalises sample payloads into canonical records with stable identities', () => {
        const config = parseConfig(base);
        for (const s of opts.samples!) {
          const first = processBody(spec, config, s);
          expect(expectCanonical(first.out), `records from ${String(s.body).slice(0, 80)}`).toBeGreaterThan(0);
          const again = processBody(spec, config, s, '2031-06-01 12:00:00.000');
          expect(again.payloads.map((p) => p.key)).toEqual(first.payloads.map((p) => p.key));
          expect(identities(again.out)).toEqual(identities(first.out));
          expect(withoutIngestTime(again.out)).toEqual(withoutIngestTime(first.out));
          for (const o of first.out) for (const c of o.calls) expect(c.source).toBe(spec.type);
        }
      });
    }

    it('sends documented bad bodies to dead letters: a non-retriable CallhouseError', async () => {
      expect(opts.badBodies.length).toBeGreaterThan(0);
      const config = parseConfig(base);
      for (const s of opts.badBodies) {
        const e = await expectError(() => processBody(spec, config, s));
        expect(e.retriable, `${e.code}: ${e.message}`).toBe(false);
      }
    });

    it('never throws anything but a non-retriable CallhouseError, whatever the body', () => {
      const config = parseConfig(base);
      const junk = [
        Buffer.alloc(0),
        Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]),
        '{',
        'null',
        '[]',
        '"\u0000"',
        'a,b,c\n"unterminated',
        '<?xml version="1.0"?><x/>',
        ...Array.from({ length: 40 }, (_, i) => randomText(i)),
      ];
      for (const body of junk) {
        for (const direct of spec.ingest ? [false, true] : [true]) {
          try {
            const r = processBody(spec, config, { body, contentType: 'application/json', direct });
            expectCanonical(r.out);
          } catch (e) {
            expect(e, `body ${JSON.stringify(String(body).slice(0, 40))}: ${String(e)}`).toBeInstanceOf(CallhouseError);
            expect((e as CallhouseError).retriable).toBe(false);
          }
        }
      }
    });

    const p = opts.poll;
    if (spec.poll && p) {
      const withSim = (fn: (sim: S, config: BaseConnectorConfig) => Promise<void>) => async () => {
        const sim = await p.simulator();
        try {
          await fn(sim, parseConfig(p.config(sim)));
        } finally {
          await sim.close();
        }
      };
      const ctxOf = (config: BaseConnectorConfig, sim: S): PollContext =>
        p.context?.(config, sim) ?? defaultContext(config, suiteNow);

      if (spec.poll.check) {
        it(
          'check passes against the simulator',
          withSim(async (sim, config) => {
            await spec.poll!.check!(ctxOf(config, sim));
          }),
        );
      }

      it(
        'reads the simulator into canonical records with stable identities, and a cursor',
        withSim(async (sim, config) => {
          const batches = await readAll(spec, ctxOf(config, sim), null);
          const payloads = batches.flatMap((b) => b.payloads);
          expect(payloads.length).toBeGreaterThan(0);
          expect(
            batches.some((b) => b.cursor !== undefined),
            'an incremental read yields a cursor',
          ).toBe(true);
          for (const b of batches) if (b.cursor) expect(JSON.parse(JSON.stringify(b.cursor))).toEqual(b.cursor);
          const first = normalisePayloads(spec, config, payloads);
          expect(expectCanonical(first)).toBeGreaterThan(0);
          const again = normalisePayloads(spec, config, payloads, '2031-06-01 12:00:00.000');
          expect(identities(again)).toEqual(identities(first));
          expect(withoutIngestTime(again)).toEqual(withoutIngestTime(first));
        }),
      );

      it(
        `resumes from its saved cursor re-emitting ${p.resume === 'nothing' ? 'nothing' : 'only the documented overlap'}`,
        withSim(async (sim, config) => {
          const first = await readAll(spec, ctxOf(config, sim), null);
          const cursor = first.filter((b) => b.cursor).at(-1)?.cursor;
          expect(cursor).toBeDefined();
          const seen = new Set(first.flatMap((b) => b.payloads).map(fingerprint));
          const resumed = (await readAll(spec, ctxOf(config, sim), cursor!)).flatMap((b) => b.payloads);
          if (p.resume === 'nothing') expect(resumed.map((x) => x.key)).toEqual([]);
          else
            for (const x of resumed) expect(seen.has(fingerprint(x)), `re-emitted something new: ${x.key}`).toBe(true);
        }),
      );

      it(
        'reads nothing from a cursor in the future',
        withSim(async (sim, config) => {
          const batches = await readAll(spec, ctxOf(config, sim), p.futureCursor);
          expect(batches.flatMap((b) => b.payloads)).toEqual([]);
        }),
      );

      it(
        `ends a vendor error in ${p.vendorError.code}`,
        withSim(async (sim) => {
          const config = parseConfig({ ...p.config(sim), ...(p.vendorError.config ?? {}) });
          await p.vendorError.trigger?.(sim);
          const e = await expectError(readAll(spec, ctxOf(config, sim), null), p.vendorError.code);
          expect(e.message.length).toBeGreaterThan(0);
        }),
      );
    }
  });
}

/** Deterministic junk: printable and control characters, commas, quotes, braces, newlines. */
function randomText(seed: number): string {
  const alphabet = 'ab,;"\'{}[]:\n\r\t0123456789-. <>\\\u00e9\u4e2d\u0000';
  let x = seed * 2654435761 + 1;
  let s = '';
  const len = 1 + ((seed * 7) % 120);
  for (let i = 0; i < len; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += alphabet[x % alphabet.length];
  }
  return s;
}
