// Recorded PREP responses, byte for byte (latin1/ASCII text), replayed by the fake fetch.
// `ourServer` and `expressPrep` were captured from real servers (our `prep serve` engine and
// express-prep 0.6.4); the others are shaped after the draft's figures and what other
// implementations send (draft -00, NSS), since no such server runs here.
import type { Recording } from './helpers.js';

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
 * a notification that is not one (no Event-ID), and an epilogue. No rfc822 DELETE: the
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
