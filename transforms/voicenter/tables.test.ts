import { describe, expect, it } from 'vitest';
import { voicenterCall } from './normalise.js';
import { testContext } from './test-context.js';

const call = (extra: Record<string, unknown>) =>
  voicenterCall(
    {
      CallID: 'T1',
      Date: '2024-03-01T08:00:00Z',
      Duration: 0,
      RingTime: 0,
      ...extra,
    },
    testContext({ endpoint: 'cdr' }),
  );

describe('every DialStatus (seed, VENDORS.md, third-party code)', () => {
  it.each([
    ['ANSWER', 'answered'],
    ['NOANSWER', 'no_answer'],
    ['BUSY', 'busy'],
    ['CANCEL', 'cancelled'],
    ['ABANDONE', 'abandoned'],
    ['TIMEOUT', 'abandoned'],
    ['FULL', 'failed'],
    ['EXIT', 'abandoned'],
    ['JOINEMPTY', 'failed'],
    ['VOEND', 'abandoned'],
    ['TE', 'system'],
    ['NOTCALLED', 'cancelled'],
    ['VOICEMAIL', 'voicemail'],
    ['NOTDIALED', 'failed'],
    ['CONGESTION', 'failed'],
    ['CHANUNAVAIL', 'failed'],
    ['INVALIDARGS', 'failed'],
    ['SSWPREAUTH', 'failed'],
    [' answer ', 'answered'],
  ])('%s → %s', (status, disposition) => {
    expect(call({ DialStatus: status })).toMatchObject({
      disposition,
      vendor_status: status.trim(),
    });
  });
});

// Outside caller 0501234567, extension target, for the types whose direction depends on the parties.
describe('every CdrType: leg, direction, vendor_type, parent', () => {
  it.each([
    [1, 'Incoming Call', 0, 'inbound', ''],
    [4, 'Extension Outgoing', 0, 'outbound', ''],
    [8, 'Queue', 0, 'inbound', ''],
    [9, 'Click2Call leg1', 1, 'outbound', 'T1'],
    [10, 'Click2Call leg2', 2, 'outbound', 'T1'],
    [11, 'VoiceMail', 0, 'inbound', ''],
    [13, 'XferCDR', 0, 'inbound', ''],
    [14, 'ProductiveCall Leg1', 1, 'outbound', 'T1'],
    [15, 'ProductiveCall Leg2', 2, 'outbound', 'T1'],
    [17, 'Click 2 IVR', 1, 'outbound', 'T1'],
    [18, 'Click 2 IVR Incoming', 2, 'outbound', 'T1'],
    [19, 'Click 2 Queue Incoming', 2, 'outbound', 'T1'],
    [21, 'Attended CDR leg1', 1, 'inbound', 'T1'],
    [22, 'Attended CDR leg2', 2, 'inbound', 'T1'],
    [23, 'Auto forward', 0, 'inbound', ''],
  ])('CdrType %i (%s)', (id, name, leg, direction, parent) => {
    const expected = {
      leg,
      direction,
      vendor_type: name,
      parent_call_id: parent,
    };
    const parties = { CallerNumber: '0501234567', TargetNumber: 'EXTB' };
    // by id alone, by name alone (notification style, loose spelling), and by both
    expect(call({ CdrType: id, ...parties })).toMatchObject(expected);
    expect(call({ Type: name.toUpperCase().replace(/ /g, ''), ...parties })).toMatchObject(expected);
    expect(call({ CdrType: String(id), Type: name, ...parties })).toMatchObject(expected);
  });

  it.each([
    ['CC', 'outbound'],
    ['FaxCdr', 'outbound'],
    ['Callference', 'inbound'],
    ['Scrubber', 'inbound'],
  ])('seed-only type %s', (name, direction) => {
    expect(call({ Type: name, CallerNumber: '0501234567' })).toMatchObject({
      leg: 0,
      direction,
      vendor_type: name,
    });
  });

  it.each([
    ['extension to extension', 'EXTA', 'EXTB', 'internal'],
    ['extension to an outside number', 'EXTA', '0501234567', 'outbound'],
    ['outside caller forwarded', '0541112222', '0501234567', 'inbound'],
    ['no parties', '', '', 'unknown'],
  ])('transfer types take direction from the parties: %s', (_n, caller, target, direction) => {
    for (const id of [13, 21, 23]) {
      expect(call({ CdrType: id, CallerNumber: caller, TargetNumber: target })).toMatchObject({ direction });
    }
  });

  it('an unknown CdrType id keeps its number as vendor_type and direction unknown', () => {
    expect(call({ CdrType: 99 })).toMatchObject({
      leg: 0,
      direction: 'unknown',
      vendor_type: '99',
    });
  });

  it('a leg with OriginalIvrUniqueID links to that call', () => {
    expect(call({ CdrType: 22, CustomData: { OriginalIvrUniqueID: 'ORIG' } })).toMatchObject({
      leg: 2,
      parent_call_id: 'ORIG',
    });
  });
});
