import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { normaliseVoicenter } from './normalise.js';
import { testContext } from './test-context.js';
import { CallhouseError } from '../../runtime/errors.js';
import { CDR_TYPES } from './cdr-types.js';
import { DIAL_STATUSES } from '../../simulators/voicenter/data.js';

/** Every documented DialStatus (the simulator serves the same list). */
const STATUSES = DIAL_STATUSES;
const BAD_INPUT = new Set(['PARSE_ERROR', 'INVALID_VALUE', 'UNSUPPORTED_PAYLOAD']);

const normalise = (body: Buffer, ct: string, meta: Record<string, string> = {}) =>
  normaliseVoicenter(body, ct, testContext(meta));

function onlyBadInputErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CallhouseError);
    expect(BAD_INPUT.has((e as CallhouseError).code)).toBe(true);
  }
}

const phone = fc.oneof(
  fc.stringMatching(/^05\d{8}$/),
  fc.stringMatching(/^9725\d{8}$/),
  fc.stringMatching(/^[A-Za-z]{4}[A-Za-z0-9]{4}$/),
  fc.constant(''),
);

/** One call, as the values both Voicenter shapes carry. */
const callValues = fc.record({
  id: fc.stringMatching(/^[0-9a-zA-Z]{10,32}$/),
  epoch: fc.integer({ min: 1_000_000_000, max: 2_000_000_000 }),
  talk: fc.integer({ min: 0, max: 20_000 }),
  ring: fc.integer({ min: 0, max: 300 }),
  wait: fc.integer({ min: 0, max: 900 }),
  price: fc.integer({ min: 0, max: 10_000_000 }),
  status: fc.constantFrom(...STATUSES),
  type: fc.constantFrom(...CDR_TYPES.filter((t) => t.id !== null)),
  caller: phone,
  target: phone,
  agent: fc.constantFrom('ישראל ישראלי', 'John Doe', ''),
});

describe('voicenter normaliser: properties', () => {
  it('random bytes and random JSON are either calls or a bad-input error, never a crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
          fc.json().map((j) => Buffer.from(j)),
        ),
        fc.constantFrom('application/json', 'application/x-www-form-urlencoded', ''),
        (body, ct) => {
          onlyBadInputErrors(() => normalise(body, ct));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('random records with Voicenter keys are either calls or a bad-input error', () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.constant(null),
      fc.boolean(),
      fc.array(fc.integer()),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            CallID: value,
            Date: value,
            Duration: value,
            RingTime: value,
            Price: value,
            DialStatus: value,
            CdrType: value,
            Type: value,
            CallerNumber: value,
            CustomData: value,
          },
          { requiredKeys: [] },
        ),
        (item) =>
          onlyBadInputErrors(() =>
            normalise(Buffer.from(JSON.stringify(item)), 'application/json', {
              endpoint: 'cdr',
            }),
          ),
      ),
      { numRuns: 500 },
    );
  });

  it('a Call Log record and the notification of the same call give the same call', () => {
    fc.assert(
      fc.property(callValues, (v) => {
        const api = {
          CallID: v.id,
          Date: new Date(v.epoch * 1000).toISOString().replace('.000Z', 'Z'),
          Duration: v.talk,
          RingTime: v.ring,
          Price: v.price,
          DialStatus: v.status,
          CdrType: v.type.id,
          Type: v.type.name,
          CallerNumber: v.caller,
          TargetNumber: v.target,
          RepresentativeName: v.agent,
        };
        const wait = v.type.queue ? v.wait : undefined;
        const notification = {
          ivruniqueid: v.id,
          time: v.epoch,
          duration: v.talk,
          dialtime: v.ring,
          price: v.price,
          status: v.status,
          type: v.type.name.replace(/ /g, ''),
          caller: v.caller,
          target: v.target,
          representative_name: v.agent,
          ...(wait === undefined ? {} : { seconds_waiting_in_queue: wait }),
        };
        const [a] = normalise(Buffer.from(JSON.stringify(api)), 'application/json', {
          endpoint: 'cdr',
        }).calls;
        const [n] = normalise(
          Buffer.from(
            new URLSearchParams(
              Object.entries(notification).map(([k, x]) => [k, String(x)] as [string, string]),
            ).toString(),
          ),
          'application/x-www-form-urlencoded',
          { endpoint: 'notification' },
        ).calls;
        // The Call Log carries no queue wait, so for queue calls it knows no answer/end instants.
        const documentedDifferences = {
          queue_wait_seconds: n!.queue_wait_seconds,
          answered_at: n!.answered_at,
          ended_at: n!.ended_at,
        };
        expect({ ...a, ...documentedDifferences }).toEqual(n);
        expect(a!.call_id).toBe(v.id);
        expect(a!.talk_seconds).toBe(v.talk);
        // the price in agorot as an exact decimal of shekels
        const frac = String(v.price % 100)
          .padStart(2, '0')
          .replace(/0+$/, '');
        expect(a!.cost).toBe(frac === '' ? String(Math.floor(v.price / 100)) : `${Math.floor(v.price / 100)}.${frac}`);
        if (!v.type.queue) expect(a!.ended_at).toBe(n!.ended_at);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: the same bytes give the same records', () => {
    fc.assert(
      fc.property(callValues, (v) => {
        const body = Buffer.from(
          JSON.stringify({
            CallID: v.id,
            DateEpoch: v.epoch,
            Duration: v.talk,
            DialStatus: v.status,
            CdrType: v.type.id,
          }),
        );
        expect(normalise(body, 'application/json')).toEqual(normalise(body, 'application/json'));
      }),
    );
  });
});
