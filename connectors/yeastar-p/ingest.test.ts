import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CallhouseError } from '../../runtime/errors.js';
import { yeastarP } from './index.js';
import { ReportNotifier, reportNotifier } from './notifier.js';
import { config } from './testing.js';

const cfg = config({ id: 'ingest-test' });
const accept = (body: string, ct = 'application/json') => yeastarP.ingest!.accept(Buffer.from(body), ct, cfg);

describe('yeastar-p ingest', () => {
  test('one event: the body unchanged, keyed by its call', () => {
    const body =
      '{"type":30012,"sn":"3631A2124XXX","msg":"{\\"call_id\\":\\"1651057476.362\\",\\"uid\\":\\"2024111913594421D77\\"}"}';
    expect(accept(body)).toEqual([
      {
        key: '1651057476.362',
        body: Buffer.from(body),
        content_type: 'application/json',
        meta: { event_type: '30012' },
      },
    ]);
    expect(accept('{"type":30039,"msg":{"uid":"U1","leg":2}}', '')[0]).toMatchObject({
      key: 'U1',
      content_type: 'application/json',
    });
  });

  test('an array is split into one payload per event', () => {
    const out = accept(
      '[{"type":30017,"msg":{"call_id":"a","info":"1"}},{"type":30017,"msg":{"call_id":"b","info":"2"}}]',
    );
    expect(out.map((p) => [p.key, p.body.toString()])).toEqual([
      ['a', '{"type":30017,"msg":{"call_id":"a","info":"1"}}'],
      ['b', '{"type":30017,"msg":{"call_id":"b","info":"2"}}'],
    ]);
  });

  test('unreadable bodies are refused (400 + dead letter); odd but readable events go on to the transform', () => {
    expect(() => accept('type=30012')).toThrow(CallhouseError);
    expect(() => accept('[]')).toThrow(/empty event list/);
    expect(() => accept('[1]')).toThrow(/not a JSON object/);
    expect(accept('{"type":30012,"msg":"{broken"}')).toEqual([
      {
        key: '',
        body: Buffer.from('{"type":30012,"msg":"{broken"}'),
        content_type: 'application/json',
        meta: { event_type: '30012' },
      },
    ]);
  });

  test('the reply is what the PBX expects', () => {
    expect(yeastarP.ingest!.ok(cfg)).toEqual({
      status: 200,
      body: { errcode: 0, errmsg: 'SUCCESS' },
      contentType: 'application/json',
    });
  });

  test('a 30027 wakes the poller waiting for that connector', async () => {
    const since = reportNotifier.stamp();
    const waiting = reportNotifier.wait('ingest-test', { since }, 60_000, () => new Promise(() => undefined));
    accept(
      '{"type":30027,"msg":{"key":"report_download","result":"SUCCESS","file":"a.csv","download_resource_url":"/api/download/a.csv","error":""}}',
    );
    await expect(waiting).resolves.toMatchObject({
      file: 'a.csv',
      download_resource_url: '/api/download/a.csv',
      result: 'SUCCESS',
    });
  });

  test('property: any JSON value is accepted or refused with PARSE_ERROR, never anything else', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          accept(JSON.stringify(v));
        } catch (e) {
          expect((e as CallhouseError).code).toBe('PARSE_ERROR');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('yeastar-p report notifier', () => {
  const never = () => new Promise<void>(() => undefined);

  test('a notice that came before the wait is kept; by file name, or the first one after `since`', async () => {
    let t = 1000;
    const n = new ReportNotifier(() => t);
    n.notify('c', { file: 'old.csv', download_resource_url: '/old', result: 'success', error: '' });
    t = 2000;
    n.notify('c', { file: 'b.csv', download_resource_url: '/b', result: 'success', error: '' });
    n.notify('other', { file: 'x.csv', download_resource_url: '/x', result: 'success', error: '' });
    await expect(n.wait('c', { since: 1500 }, 1000, never)).resolves.toMatchObject({ file: 'b.csv', at: 2000 });
    await expect(n.wait('c', { file: 'old.csv', since: 1500 }, 1000, never)).resolves.toMatchObject({
      file: 'old.csv',
    });
  });

  test('a waiter for a named file ignores other files; the timeout is a retriable TIMEOUT', async () => {
    const n = new ReportNotifier(() => 5);
    let fire: () => void = () => undefined;
    const waiting = n.wait('c', { file: 'mine.csv', since: 0 }, 2000, () => new Promise<void>((r) => (fire = r)));
    n.notify('c', { file: 'theirs.csv', download_resource_url: '/t', result: 'success', error: '' });
    fire();
    const err = await waiting.catch((e: CallhouseError) => e);
    expect([(err as CallhouseError).code, (err as CallhouseError).retriable]).toEqual(['TIMEOUT', true]);
    // The other file stays for whoever waits for it.
    await expect(n.wait('c', { file: 'theirs.csv', since: 0 }, 1, never)).resolves.toMatchObject({
      download_resource_url: '/t',
    });
  });
});
