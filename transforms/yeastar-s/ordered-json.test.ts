import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CallhouseError } from '../../runtime/errors.js';
import { OrderedObject, parseOrdered, parseOrderedJson, stringifyOrdered, type JsonValue } from './ordered-json.js';

/** Plain JS value of a parsed value (last duplicate wins, as JSON.parse would). */
function plain(v: JsonValue): unknown {
  if (v instanceof OrderedObject) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v.entries) {
      Object.defineProperty(o, k, { value: plain(x), enumerable: true, configurable: true, writable: true });
    }
    return o;
  }
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

describe('parseOrderedJson', () => {
  it('keeps duplicate keys in the order sent', () => {
    const v = parseOrderedJson('{"action":"BYE","ext":{"extid":"1000"},"ext":{"extid":"1002"}}');
    expect(v).toBeInstanceOf(OrderedObject);
    const o = v as OrderedObject;
    expect(o.entries.map(([k]) => k)).toEqual(['action', 'ext', 'ext']);
    expect(o.getAll('ext').map((e) => (e as OrderedObject).get('extid'))).toEqual(['1000', '1002']);
    expect(o.get('action')).toBe('BYE');
    expect(o.has('callid')).toBe(false);
  });

  it('reads every JSON form', () => {
    const v = parseOrderedJson(' {"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n\\"",{},[]],"b":{"c":0}} ');
    expect(plain(v)).toEqual({ a: [1, -2500, true, false, null, 'xé\n"', {}, []], b: { c: 0 } });
  });

  it('reads the vendor sample escape \\# as #', () => {
    expect(plain(parseOrderedJson('{"info":"\\#"}'))).toEqual({ info: '#' });
  });

  it.each([
    ['', 'unexpected end of input at offset 0'],
    ['{"a":1', 'unexpected end of input at offset 6'],
    ['{"a" 1}', `unexpected "1" at offset 5, expected ':'`],
    ['{a:1}', 'unexpected "a" at offset 1, expected a key'],
    ['[1,]', 'unexpected "]" at offset 3'],
    ['{"a":1} x', 'unexpected "x" at offset 8'],
    ['"\\q"', 'bad escape at offset 1'],
    ['"a\nb"', 'control character in a string at offset 2'],
    ['01', 'unexpected "1" at offset 1'],
  ])('rejects %j with PARSE_ERROR (%s)', (text, reason) => {
    expect(() => parseOrderedJson(text)).toThrow(new CallhouseError('PARSE_ERROR', `body is not JSON: ${reason}`));
  });

  it('caps depth and size', () => {
    expect(parseOrderedJson('['.repeat(64) + ']'.repeat(64))).toBeDefined();
    expect(() => parseOrderedJson('['.repeat(65) + ']'.repeat(65))).toThrow(/nesting deeper than 64/);
    expect(() => parseOrderedJson('['.repeat(100_000))).toThrow(/nesting deeper than 64/);
    expect(() => parseOrderedJson('"abcdef"', { maxLength: 5 })).toThrow(/longer than 5/);
  });

  it('gives the exact spans of top-level array elements', () => {
    const text = '[ {"a":1,"a":2} ,"x",[3]]';
    const { elementSpans } = parseOrdered(text);
    expect(elementSpans.map(([s, e]) => text.slice(s, e))).toEqual(['{"a":1,"a":2}', '"x"', '[3]']);
  });

  it('any string gives a value or PARSE_ERROR, never another exception', () => {
    const alphabet = fc.constantFrom(...'{}[]:,"\\ tfnrue0123456789.-eE+abu\n'.split(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet }), fc.string({ unit: 'grapheme' })), (s) => {
        try {
          parseOrderedJson(s);
        } catch (e) {
          expect(e).toBeInstanceOf(CallhouseError);
          expect((e as CallhouseError).code).toBe('PARSE_ERROR');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with JSON.parse on any JSON text, and round-trips through stringifyOrdered', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), (text) => {
        const v = parseOrderedJson(text);
        expect(plain(v)).toEqual(JSON.parse(text));
        expect(stringifyOrdered(v)).toBe(JSON.stringify(JSON.parse(text)));
      }),
      { numRuns: 1000 },
    );
  });
});
