// Recorded PREP responses, byte for byte (latin1/ASCII text), replayed by the fake fetch.
// `ourServer` and `expressPrep` were captured from real servers (our `prep serve` engine and
// express-prep 0.6.4), `nss` from node-solid-server 5.8.8 (whole HTTP responses in
// fixtures/, see fixtures/README.md); the others are shaped after the draft's figures and what
// other implementations send (draft -00, JSON-LD parts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Recording } from './helpers.js';

/** A whole recorded HTTP response: the bytes as sent, and what a fetch would make of them. */
export interface RawRecording extends Recording {
  /** Status line, head and body exactly as the server wrote them. */
  raw: Uint8Array;
}

/**
 * Reads `fixtures/NAME`, a raw HTTP/1.1 response, as a {@link Recording}: the head's fields
 * (lower-case names, framing fields left out) and the body, de-chunked, one chunk per
 * chunk the server wrote.
 */
export function rawRecording(name: string): RawRecording {
  const raw = readFileSync(join(import.meta.dirname, 'fixtures', name));
  const text = raw.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)![1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (name === 'transfer-encoding' || name === 'connection' || name === 'content-length')
      continue;
    headers[name] =
      headers[name] === undefined
        ? line.slice(colon + 1).trim()
        : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
  }
  let body = text.slice(headEnd + 4);
  const chunks: string[] = [];
  if (/^transfer-encoding:\s*chunked/im.test(text.slice(0, headEnd))) {
    // RFC 9112 §7.1: size in hex, CRLF, data, CRLF; a recording may stop mid-stream.
    while (body.length > 0) {
      const lineEnd = body.indexOf('\r\n');
      const size = parseInt(body.slice(0, lineEnd), 16);
      if (size === 0) break;
      chunks.push(body.slice(lineEnd + 2, lineEnd + 2 + size));
      body = body.slice(lineEnd + 2 + size + 2);
    }
  } else chunks.push(body);
  return { status, headers, chunks, raw: new Uint8Array(raw) };
}

/** node-solid-server 5.8.8, recorded (fixtures/README.md): no Event-ID anywhere. */
export const nss = {
  /** A Turtle document: PUT, PATCH, DELETE, then both close delimiters. */
  document: rawRecording('nss-5.8.8-document.http'),
  /** A container: a POST announced with Location; the stream was cut while open. */
  container: rawRecording('nss-5.8.8-container.http'),
  /** JSON-LD (Activity Streams) notifications of a PUT and a DELETE. */
  jsonLd: rawRecording('nss-5.8.8-jsonld.http'),
  /** A JSON-LD document: PUT, DELETE; and the plain GET between them. */
  live: rawRecording('nss-5.8.8-live.http'),
  liveGet: rawRecording('nss-5.8.8-live-get.http'),
};

/** Our server: JSON Patch deltas, two keep-alives, a PUT and a PATCH without delta, then DELETE. */
export const ourServer: Recording = {
  headers: {
    'accept-events': '"prep";accept="message/rfc822"',
    'cache-control': 'no-store',
    'content-type': 'multipart/mixed; boundary="El6QXOzanRfsd4Hycssz1ozKCCagU5kK"',
    date: 'Tue, 24 Nov 2026 01:32:18 GMT',
    events: 'protocol="prep", status=200, expires=3600, vary="accept"',
    'last-modified': 'Tue, 24 Nov 2026 01:32:18 GMT',
    vary: 'Accept-Events',
  },
  chunks: [
    '--El6QXOzanRfsd4Hycssz1ozKCCagU5kK\r\nContent-Type: application/json\r\nETag: "17a504c921c70d0552b5a3d65e46524b"\r\nLast-Modified: Tue, 24 Nov 2026 01:32:18 GMT\r\n\r\n{"title":"Hello","tags":["a"]}\r\n--El6QXOzanRfsd4Hycssz1ozKCCagU5kK\r\nContent-Type: multipart/digest; boundary="BsvWNcyoohfQmB3Vs14Xiz21Bcw1t30G"\r\n\r\n--BsvWNcyoohfQmB3Vs14Xiz21Bcw1t30G',
    '\r\n\r\nMethod: PATCH\r\nDate: Tue, 24 Nov 2026 01:32:18 GMT\r\nEvent-ID: 2.43813843de\r\nETag: "0f8576631b465f1dedf0792e0e41ceed"\r\nContent-Type: application/json-patch+json\r\n\r\n[{"op":"add","path":"/tags/-","value":"b"}]\r\n--BsvWNcyoohfQmB3Vs14Xiz21Bcw1t30G',
    '\r\n\r\n\r\n--BsvWNcyoohfQmB3Vs14Xiz21Bcw1t30G',
    '\r\n\r\n\r\n--BsvWNcyoohfQmB3Vs14Xiz21Bcw1t30G',
    '\r\n\r\nMethod: PUT\r\nDate: Tue, 24 Nov 2026 01:32:19 GMT\r\nEvent-ID: 3.43813843de\r\nETag: "dabb90e8744afc1ae2d1654dd30ecaf1"\r\n\r\n\r\n--BsvWNcyoohfQmB3Vs14Xiz21Bcw1t30G',
    '\r\n\r\nMethod: PATCH\r\nDate: Tue, 24 Nov 2026 01:32:19 GMT\r\nEvent-ID: 4.43813843de\r\nETag: "7686b0f2aafdbbf948bdf6d40dede19f"\r\n\r\n\r\n--BsvWNcyoohfQmB3Vs14Xiz21Bcw1t30G',
    '\r\n\r\nMethod: DELETE\r\nDate: Tue, 24 Nov 2026 01:32:19 GMT\r\nEvent-ID: 5.43813843de\r\n\r\n\r\n--BsvWNcyoohfQmB3Vs14Xiz21Bcw1t30G--\r\n--El6QXOzanRfsd4Hycssz1ozKCCagU5kK--\r\n',
  ],
};

/** express-prep 0.6.4: `expires` as an HTTP-date string, `Location` in notifications. */
export const expressPrep: Recording = {
  headers: {
    'accept-events': '"prep";accept=(message/rfc822)',
    'content-type': 'multipart/mixed; boundary="CZYkXUCfslmKUHrc/ODN"',
    date: 'Tue, 24 Nov 2026 01:27:26 GMT',
    events: 'protocol="prep", status=200, expires="Tue, 24 Nov 2026 02:27:26 GMT"',
    vary: 'Accept-Events',
    'x-powered-by': 'Express',
  },
  chunks: [
    '--CZYkXUCfslmKUHrc/ODN\r\nContent-Type: application/json\r\n\r\n{"n":0}\r\n--CZYkXUCfslmKUHrc/ODN\r\nContent-Type: multipart/digest; boundary="bQR76iaDjKpBAr3pKMDi"\r\n\r\n--bQR76iaDjKpBAr3pKMDi',
    '\r\n\r\nMethod: PUT\r\nDate: Tue, 24 Nov 2026 01:27:26 GMT\r\nEvent-ID: 2FEUn2\r\n\r\n\r\n--bQR76iaDjKpBAr3pKMDi',
    '\r\n\r\nMethod: POST\r\nDate: Tue, 24 Nov 2026 01:27:26 GMT\r\nEvent-ID: BWvAf4\r\nLocation: /foo/1\r\n\r\n\r\n--bQR76iaDjKpBAr3pKMDi',
    '\r\n\r\nMethod: DELETE\r\nDate: Tue, 24 Nov 2026 01:27:26 GMT\r\nEvent-ID: pQwrHp\r\n\r\n\r\n--bQR76iaDjKpBAr3pKMDi--\r\n--CZYkXUCfslmKUHrc/ODN--\r\n',
  ],
};

/**
 * Draft -00: the body was skipped (Last-Event-ID), so the body is a bare multipart/digest;
 * `protocol=PREP` and `vary` as tokens, `expires` as an HTTP-date string, the figure's
 * `E-tag` spelling, an explicit `Content-Type: message/rfc822` part header.
 */
export const draft00: Recording = {
  headers: {
    'content-type': 'multipart/digest; boundary="next-message"',
    date: 'Sat, 01 Apr 2023 10:11:00 GMT',
    etag: '"1234abcd"',
    events:
      'protocol=PREP, status=200, vary=accept-encoding, expires="Sat, 01 Apr 2023 11:11:00 GMT"',
  },
  chunks: [
    '--next-message\r\n\r\nMethod: PUT\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: 456\r\nE-tag: "6789wxyz"\r\n\r\n\r\n--next-message',
    '\r\nContent-Type: message/rfc822\r\n\r\nMethod: DELETE\r\nDate: Sat, 01 Apr 2023 10:11:13 GMT\r\nEvent-ID: 789\r\n\r\n\r\n--next-message--\r\n',
  ],
};

/**
 * JSON-LD notifications (as Solid servers negotiate them) with a preamble, a keep-alive,
 * an rfc822 notification without Event-ID, and an epilogue. No rfc822 DELETE: the
 * stream just ends (expiry).
 */
export const jsonLd: Recording = {
  headers: {
    'content-type': 'multipart/mixed; boundary="MAJ8bCuGxmcu9HkCOzUi"',
    date: 'Thu, 07 Nov 2024 14:13:48 GMT',
    events: 'protocol="prep", status=200, expires="Thu, 07 Nov 2024 15:13:48 GMT"',
  },
  chunks: [
    'This is the preamble, to be ignored.\r\n--MAJ8bCuGxmcu9HkCOzUi\r\nContent-Type: text/turtle\r\n\r\n<> a <#Doc> .\r\n--MAJ8bCuGxmcu9HkCOzUi\r\nContent-Type: multipart/digest; boundary="Qv9TxkGZ4oM1u2bEqk0W"\r\n\r\n--Qv9TxkGZ4oM1u2bEqk0W',
    '\r\nContent-Type: application/ld+json\r\n\r\n{"type":"Update","object":"http://localhost/doc","state":"e1"}\r\n--Qv9TxkGZ4oM1u2bEqk0W',
    '\r\n\r\n\r\n--Qv9TxkGZ4oM1u2bEqk0W',
    '\r\n\r\nMethod: PUT\r\nDate: Thu, 07 Nov 2024 14:20:00 GMT\r\n\r\n\r\n--Qv9TxkGZ4oM1u2bEqk0W',
    '\r\nContent-Type: application/ld+json; charset=utf-8\r\n\r\n{"type":"Remove","object":"http://localhost/doc#x","state":"e2"}\r\n--Qv9TxkGZ4oM1u2bEqk0W--\r\n--MAJ8bCuGxmcu9HkCOzUi--\r\nand an epilogue',
  ],
};

/** The draft's notifications figure with bare LF line ends and a delta in a type we do not apply. */
export const draftFigureLf: Recording = {
  headers: {
    'content-type': 'multipart/mixed; boundary="main-boundary"',
    events: 'protocol="prep", status=200, vary="accept"',
  },
  chunks: [
    '--main-boundary\nContent-Type: text/html\n\n<html>\n--main-boundary\nContent-Type: multipart/digest; boundary="next-message"\n\n--next-message\n\nMethod: PATCH\nDate: Sat, 01 Apr 2023 10:14:16 GMT\nEvent-ID: 1236\nETag: "xyz987"\nContent-type: application/example\n\n<delta>\n--next-message--\n--main-boundary--\n',
  ],
};
