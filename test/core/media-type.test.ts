import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  formatMediaType,
  MediaTypeError,
  parseMediaType,
} from '../../packages/client/src/core/media-type.js';

const params = (value: string): Array<[string, string]> => [...parseMediaType(value).parameters];

test('parseMediaType: type, subtype and parameter names are case-insensitive, values keep case', () => {
  const mt = parseMediaType('Multipart/Mixed; Boundary="MAIN-SEPARATOR"');
  assert.equal(mt.type, 'multipart');
  assert.equal(mt.subtype, 'mixed');
  assert.equal(mt.essence, 'multipart/mixed');
  assert.deepEqual([...mt.parameters], [['boundary', 'MAIN-SEPARATOR']]);
  assert.deepEqual(params('text/plain;charset=UTF-8'), [['charset', 'UTF-8']]);
  assert.deepEqual(params('message/rfc822'), []);
});

test('parseMediaType: quoted strings are unescaped; OWS and empty parameters are allowed', () => {
  assert.deepEqual(params('text/plain; a="x \\"y\\" \\\\ z"'), [['a', 'x "y" \\ z']]);
  assert.deepEqual(params('text/plain; a=""'), [['a', '']]);
  assert.deepEqual(params('text/plain; a="semi;colon, comma"'), [['a', 'semi;colon, comma']]);
  assert.deepEqual(params('  text/plain \t;\tA=1 ;; b=2;  '), [
    ['a', '1'],
    ['b', '2'],
  ]);
  assert.deepEqual(params('text/plain; title="caf\u00e9"'), [['title', 'caf\u00e9']]);
  // The first of duplicate parameters wins, as in browsers.
  assert.deepEqual(params('multipart/mixed; boundary=a; BOUNDARY=b'), [['boundary', 'a']]);
  // PREP's digest part header, as the encoder writes it.
  assert.equal(
    parseMediaType('multipart/digest; boundary="Qa5Wr8Ty1Ui4Op7As2Df6Gh9Jk3Lz0Xc"').parameters.get(
      'boundary',
    ),
    'Qa5Wr8Ty1Ui4Op7As2Df6Gh9Jk3Lz0Xc',
  );
});

test('parseMediaType: malformed values throw MediaTypeError with code and offset', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['', 0, /expected a type token/],
    ['text', 4, /expected "\/"/],
    ['text/', 5, /expected a subtype token/],
    ['/plain', 0, /expected a type token/],
    ['text/plain garbage', 11, /expected ";" or the end/],
    ['text/plain; charset', 19, /expected "="/],
    ['text/plain; charset = utf-8', 19, /expected "="/],
    ['text/plain; charset=', 20, /expected a token or a quoted string/],
    ['text/plain; =x', 12, /expected a parameter name/],
    ['text/plain; a="open', 14, /unterminated quoted string/],
    ['text/plain; a="x\ny"', 16, /control character/],
    ['text/plain; a=b c', 16, /expected ";" or the end/],
    ['te xt/plain', 2, /expected "\/"/],
  ];
  for (const [value, offset, message] of cases) {
    assert.throws(
      () => parseMediaType(value),
      (err: unknown) => {
        assert.ok(err instanceof MediaTypeError, `${JSON.stringify(value)}: ${String(err)}`);
        assert.ok(err instanceof SyntaxError);
        assert.equal(err.code, 'MEDIA_TYPE_PARSE');
        assert.equal(err.offset, offset, JSON.stringify(value));
        assert.match(err.message, message);
        return true;
      },
    );
  }
});

test('formatMediaType quotes values only when needed and lower-cases names', () => {
  assert.equal(
    formatMediaType('multipart/mixed', { boundary: 'abc' }),
    'multipart/mixed; boundary=abc',
  );
  assert.equal(
    formatMediaType('Multipart/Digest', [['Boundary', "it's (quoted)"]]),
    `multipart/digest; boundary="it's (quoted)"`,
  );
  assert.equal(formatMediaType('text/plain', [['a', '']]), 'text/plain; a=""');
  assert.equal(
    formatMediaType('text/plain', [['a', 'say "hi" \\o/']]),
    'text/plain; a="say \\"hi\\" \\\\o/"',
  );
  assert.equal(
    formatMediaType(parseMediaType('Text/HTML;Charset=UTF-8')),
    'text/html; charset=UTF-8',
  );
  assert.equal(formatMediaType({ type: 'message', subtype: 'rfc822' }), 'message/rfc822');
  assert.throws(() => formatMediaType('text'), TypeError);
  assert.throws(() => formatMediaType('te xt/plain'), TypeError);
  assert.throws(() => formatMediaType('text/plain', [['bad name', 'x']]), TypeError);
  assert.throws(() => formatMediaType('text/plain', [['a', 'line\nbreak']]), TypeError);
});

test('parseMediaType(formatMediaType(x)) round-trips', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}$/);
  const value = fc.stringMatching(/^[\t\x20-\x7e\x80-\xff]{0,12}$/);
  fc.assert(
    fc.property(
      token,
      token,
      fc.uniqueArray(fc.tuple(token, value), { maxLength: 4, selector: ([n]) => n.toLowerCase() }),
      (type, subtype, parameters) => {
        const mt = parseMediaType(formatMediaType(`${type}/${subtype}`, parameters));
        assert.equal(mt.essence, `${type}/${subtype}`.toLowerCase());
        assert.deepEqual(
          [...mt.parameters],
          parameters.map(([n, v]) => [n.toLowerCase(), v]),
        );
      },
    ),
    { numRuns: 300 },
  );
});
