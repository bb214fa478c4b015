import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatHttpDate, parseHttpDate } from '../../packages/client/src/core/http-date.js';

const iso = (d: Date | undefined) => d?.toISOString();

test('N822-4 Date is an IMF-fixdate (RFC 9110 §5.6.7), milliseconds dropped', () => {
  assert.equal(
    formatHttpDate(new Date(Date.UTC(2023, 3, 1, 10, 11, 12))),
    'Sat, 01 Apr 2023 10:11:12 GMT',
  );
  assert.equal(
    formatHttpDate(Date.UTC(1994, 10, 6, 8, 49, 37, 999)),
    'Sun, 06 Nov 1994 08:49:37 GMT',
  );
  assert.equal(formatHttpDate(0), 'Thu, 01 Jan 1970 00:00:00 GMT');
  assert.equal(formatHttpDate(-1), 'Wed, 31 Dec 1969 23:59:59 GMT'); // floor, not truncation
});

test('formatHttpDate keeps four-digit years and refuses what IMF-fixdate cannot hold', () => {
  assert.equal(formatHttpDate(Date.parse('0050-03-04T05:06:07Z')), 'Fri, 04 Mar 0050 05:06:07 GMT');
  assert.equal(formatHttpDate(Date.parse('9999-12-31T23:59:59Z')), 'Fri, 31 Dec 9999 23:59:59 GMT');
  assert.throws(() => formatHttpDate(Date.parse('+010000-01-01T00:00:00Z')), RangeError);
  assert.throws(() => formatHttpDate(Date.parse('-000001-01-01T00:00:00Z')), RangeError);
  assert.throws(() => formatHttpDate(new Date(Number.NaN)), RangeError);
  assert.throws(() => formatHttpDate(Number.POSITIVE_INFINITY), RangeError);
});

test('formatHttpDate caches per second and still answers every second right', () => {
  const base = Date.UTC(2024, 1, 29, 23, 59, 58);
  for (const ms of [base, base + 1, base + 999, base + 1000, base, base + 2000]) {
    assert.equal(formatHttpDate(ms), new Date(Math.floor(ms / 1000) * 1000).toUTCString());
  }
});

test('N822-4 parseHttpDate reads the three RFC 9110 forms', () => {
  const want = '1994-11-06T08:49:37.000Z';
  assert.equal(iso(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')), want);
  assert.equal(iso(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')), want);
  assert.equal(iso(parseHttpDate('Sun Nov  6 08:49:37 1994')), want);
});

test('N822-4 parseHttpDate is liberal: the draft example, case, spaces, zones', () => {
  // The PREP draft's own examples use a one-digit day and a full month name.
  assert.equal(iso(parseHttpDate('Sat, 1 April 2023 10:11:12 GMT')), '2023-04-01T10:11:12.000Z');
  assert.equal(iso(parseHttpDate('sat, 01 apr 2023 10:11:12 gmt')), '2023-04-01T10:11:12.000Z');
  assert.equal(iso(parseHttpDate('  01 Apr 2023 10:11:12  ')), '2023-04-01T10:11:12.000Z');
  assert.equal(iso(parseHttpDate('Sat, 01 Apr 2023 10:11 GMT')), '2023-04-01T10:11:00.000Z');
  assert.equal(iso(parseHttpDate('Sat, 01 Apr 2023 10:11:12 UTC')), '2023-04-01T10:11:12.000Z');
  assert.equal(iso(parseHttpDate('Sat, 01 Apr 2023 12:11:12 +0200')), '2023-04-01T10:11:12.000Z');
  assert.equal(iso(parseHttpDate('Sat, 01 Sept 2023 10:11:12 GMT')), '2023-09-01T10:11:12.000Z');
  // A weekday that does not match the date is ignored, not fatal.
  assert.equal(iso(parseHttpDate('Mon, 01 Apr 2023 10:11:12 GMT')), '2023-04-01T10:11:12.000Z');
  // A leap second stays in its minute.
  assert.equal(iso(parseHttpDate('Sat, 31 Dec 2016 23:59:60 GMT')), '2016-12-31T23:59:59.000Z');
  assert.equal(iso(parseHttpDate('Sat, 01 Jan 0050 00:00:00 GMT')), '0050-01-01T00:00:00.000Z');
});

test('N822-4 parseHttpDate: a two-digit year more than 50 years ahead is in the past', () => {
  const year = new Date().getUTCFullYear();
  const ahead = (year + 49) % 100;
  const behind = (year + 51) % 100;
  const yy = (n: number) => String(n).padStart(2, '0');
  assert.equal(
    parseHttpDate(`Sunday, 06-Nov-${yy(ahead)} 08:49:37 GMT`)?.getUTCFullYear(),
    year + 49,
  );
  assert.equal(
    parseHttpDate(`Sunday, 06-Nov-${yy(behind)} 08:49:37 GMT`)?.getUTCFullYear(),
    year - 49,
  );
});

test('N822-4 parseHttpDate rejects what is not a date', () => {
  for (const bad of [
    '',
    'yesterday',
    '1680343872',
    'Sat, 32 Apr 2023 10:11:12 GMT',
    'Wed, 29 Feb 2023 10:11:12 GMT',
    'Sat, 01 Foo 2023 10:11:12 GMT',
    'Sat, 01 Apr 2023 24:11:12 GMT',
    'Sat, 01 Apr 2023 10:61:12 GMT',
    'Sat, 01 Apr 2023 10:11:12 CET',
    'Xyz, 01 Apr 2023 10:11:12 GMT',
    'Sat, 01 Apr 2023 10:11:12 GMT' + ' '.repeat(100) + 'x',
  ]) {
    assert.equal(parseHttpDate(bad), undefined, bad);
  }
  assert.equal(iso(parseHttpDate('Thu, 29 Feb 2024 10:11:12 GMT')), '2024-02-29T10:11:12.000Z');
});

test('N822-4 parseHttpDate(formatHttpDate(d)) is d to the second, years 0–9999', () => {
  const min = Date.parse('0000-01-01T00:00:00Z') / 1000;
  const max = Date.parse('9999-12-31T23:59:59Z') / 1000;
  fc.assert(
    fc.property(fc.integer({ min, max }), (s) => {
      assert.equal(parseHttpDate(formatHttpDate(s * 1000))?.getTime(), s * 1000);
    }),
    { numRuns: 2000 },
  );
});
