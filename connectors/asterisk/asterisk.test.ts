/** What is special about Asterisk: CSV variants, linkedid groups, rotation, partial lines. */
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startSimulator, type AsteriskSimulator } from '../../simulators/asterisk/index.js';
import { normaliseContext } from '../../test/compliance.js';
import type { Cursor, PollBatch, PollContext } from '../core/contract.js';
import { parseClid } from '../../transforms/asterisk/normalise.js';
import asterisk, { asteriskConfigSchema, type AsteriskConfig } from './index.js';

const cfg = (extra: Record<string, unknown> = {}): AsteriskConfig =>
  asteriskConfigSchema.parse({
    id: 'pbx',
    type: 'asterisk',
    timezone: 'Europe/London',
    country: 'GB',
    trunks: ['trunk-gb'],
    extra_columns: ['linkedid', 'sequence'],
    ...extra,
  });
const normalise = (text: string, c = cfg()) => {
  const calls = asterisk
    .ingest!.accept(Buffer.from(text), 'text/csv', c)
    .flatMap((p) => asterisk.normalise(p.body, p.content_type, normaliseContext(c, p.meta)).calls);
  return calls.sort((a, b) => a.call_id.localeCompare(b.call_id) || a.leg - b.leg);
};
const ROW = (
  o: Partial<
    Record<
      'src' | 'dst' | 'dcontext' | 'clid' | 'channel' | 'dstchannel' | 'app' | 'data' | 'disp' | 'uid' | 'lid' | 'seq',
      string
    >
  > = {},
) =>
  `"","${o.src ?? '1001'}","${o.dst ?? '1002'}","${o.dcontext ?? 'from-internal'}","${o.clid ?? '""Alice"" <1001>'}","${o.channel ?? 'PJSIP/1001-00000001'}","${o.dstchannel ?? 'PJSIP/1002-00000002'}","${o.app ?? 'Dial'}","${o.data ?? 'PJSIP/1002,30'}","2024-07-01 10:00:00","${o.disp === 'ANSWERED' || !o.disp ? '2024-07-01 10:00:04' : ''}","2024-07-01 10:01:04",64,${o.disp === 'ANSWERED' || !o.disp ? 60 : 0},"${o.disp ?? 'ANSWERED'}","DOCUMENTATION","${o.uid ?? '1719824400.1'}","","${o.lid ?? o.uid ?? '1719824400.1'}","${o.seq ?? '1'}"`;

describe('asterisk CSV', () => {
  it('reads quoted caller ids with commas and quotes, local times, durations and dispositions', () => {
    const [c] = normalise(
      `${ROW({ clid: '""Smith, John"" <02079460123>', src: '02079460123', dst: '1001', channel: 'PJSIP/trunk-gb-0000000a', dstchannel: 'PJSIP/1001-0000000b', dcontext: 'from-trunk' })}\n`,
    );
    expect(c).toMatchObject({
      call_id: '1719824400.1',
      leg: 0,
      direction: 'inbound',
      trunk: 'trunk-gb',
      caller: '02079460123',
      caller_e164: '+442079460123',
      callee_ext: '1001',
      agent: '1001',
      started_at: '2024-07-01 09:00:00.000',
      started_local: '2024-07-01 10:00:00.000',
      answered_at: '2024-07-01 09:00:04.000',
      ended_at: '2024-07-01 09:01:04.000',
      ring_seconds: 4,
      talk_seconds: 60,
      total_seconds: 64,
      disposition: 'answered',
      vendor_type: 'Dial',
    });
    expect(parseClid('"Smith, John" <02079460123>')).toEqual({ name: 'Smith, John', number: '02079460123' });
    expect(parseClid('"O""Brien" <1002>')).toEqual({ name: 'O"Brien', number: '1002' });
    expect(parseClid('1003')).toEqual({ name: '', number: '1003' });
  });

  it.each([
    ['ANSWERED', 'answered'],
    ['NO ANSWER', 'no_answer'],
    ['BUSY', 'busy'],
    ['FAILED', 'failed'],
    ['CONGESTION', 'failed'],
  ])('disposition %s → %s', (disp, expected) => {
    expect(normalise(ROW({ disp }))[0]!.disposition).toBe(expected);
  });

  it('direction: trunk channels, then contexts, then number shapes', () => {
    const d = (o: Parameters<typeof ROW>[0], c?: AsteriskConfig) => normalise(ROW(o), c)[0]!.direction;
    expect(d({ dst: '07700900123', dstchannel: 'PJSIP/trunk-gb-00000003' })).toBe('outbound');
    expect(d({ channel: 'DAHDI/1-1', src: '02079460123' })).toBe('inbound');
    expect(d({ dcontext: 'from-pstn', src: 'anonymous', channel: 'SIP/voip-1' })).toBe('inbound');
    expect(d({})).toBe('internal');
    expect(d({ dst: '07700900123', dstchannel: 'SIP/other-00000003' })).toBe('outbound');
    expect(d({ src: '1001', dst: '1002' }, cfg({ max_extension_digits: 3 }))).toBe('unknown');
  });

  it('linkedid groups: the answered row of the originating channel is the call (leg 0), the rest leg 1', () => {
    const text = [
      ROW({ uid: '100.1', lid: '100.1', seq: '7', disp: 'NO ANSWER' }),
      ROW({ uid: '100.1', lid: '100.1', seq: '8', dstchannel: 'PJSIP/1003-00000004' }),
      ROW({ uid: '100.2', lid: '100.1', seq: '9', src: '1002', dst: '1004' }),
    ].join('\n');
    const calls = normalise(text);
    expect(calls.map((c) => [c.call_id, c.leg, c.parent_call_id, c.disposition])).toEqual([
      ['100.1', 0, '', 'answered'],
      ['100.1#7', 1, '100.1', 'no_answer'],
      ['100.2#9', 1, '100.1', 'answered'],
    ]);
    // Split over two reads (or two POSTs), the rows keep their identities and the call stays one.
    const parts = text.split('\n');
    const split = [...normalise(parts[2]!), ...normalise(parts.slice(0, 2).join('\n'))]
      .map((c) => `${c.call_id}|${c.leg}`)
      .sort();
    expect(split).toEqual(calls.map((c) => `${c.call_id}|${c.leg}`).sort());
  });

  it('the default 18-column layout without linkedid: each uniqueid is a call; a header line is skipped', () => {
    const plain = cfg({ extra_columns: [] });
    const line = ROW({ uid: '200.5' }).replace(/,"[^"]*","[^"]*"$/, '');
    const calls = normalise(
      `accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,disposition,amaflags,uniqueid,userfield\r\n${line}\r\n`,
      plain,
    );
    expect(calls.map((c) => [c.call_id, c.leg])).toEqual([['200.5', 0]]);
    expect(() => normalise(`${line}\n`)).toThrow(/expected 20 columns/);
  });

  it('voicemail and queue calls', () => {
    expect(normalise(ROW({ app: 'VoiceMail', data: '1001@default', dstchannel: '' }))[0]!.disposition).toBe(
      'voicemail',
    );
    expect(normalise(ROW({ app: 'Queue', data: 'support,t,,,300' }))[0]!.queue).toBe('support');
  });
});

describe('asterisk directory poller', () => {
  let sim: AsteriskSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });
  const ctx = (s: AsteriskSimulator): PollContext<AsteriskConfig> => ({
    config: cfg({ directory: s.directory }),
    logger: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    session: new Map(),
    sleep: async () => undefined,
    now: () => new Date(),
  });
  const read = async (s: AsteriskSimulator, cursor: Cursor | null) => {
    const batches: PollBatch[] = [];
    for await (const b of asterisk.poll!.read(ctx(s), cursor)) batches.push(b);
    return {
      keys: batches.flatMap((b) => b.payloads.map((p) => p.key)),
      cursor: batches.filter((b) => b.cursor).at(-1)?.cursor ?? cursor,
    };
  };

  it('reads new complete lines only, follows appends and logrotate renames', async () => {
    sim = await startSimulator({ seed: 5, initialCalls: 5 });
    let r = await read(sim, null);
    expect(r.keys).toEqual(sim.calls.map((c) => c.linkedid));
    // Half a line (Asterisk mid-write): not read until complete.
    const [next] = sim.makeCalls(1);
    const text = sim.csvOf([next!]);
    await sim.appendRaw(text.slice(0, 40));
    r = await read(sim, r.cursor);
    expect(r.keys).toEqual([]);
    await sim.appendRaw(text.slice(40));
    r = await read(sim, r.cursor);
    expect(r.keys).toEqual([next!.linkedid]);
    // More calls, then a rotation, then calls in the new file: all read once, in order.
    const before = await sim.writeCalls(2);
    await sim.rotate();
    const after = await sim.writeCalls(3);
    r = await read(sim, r.cursor);
    expect(r.keys).toEqual([...before, ...after].map((c) => c.linkedid));
    expect(r.cursor).toMatchObject({ file: 'Master.csv' });
    expect((await read(sim, r.cursor)).keys).toEqual([]);
    // A fresh start reads every file, rotated ones first.
    expect((await read(sim, null)).keys).toEqual(
      sim.calls
        .map((c) => c.linkedid)
        .concat(next!.linkedid)
        .sort((a, b) => Number(a) - Number(b)),
    );
  });
});
