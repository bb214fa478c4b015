/**
 * The introduction example of draft-gupta-httpbis-per-resource-events-03 (digest note §2.7,
 * the "--MAIN SEPARATOR" typo fixed), shared by the encoder and decoder tests.
 */

/** A figure's line ends as sent on the wire (CRLF). */
export const wire = (figure: string): string => figure.replace(/\n/g, '\r\n');

/** The draft's introduction response body, CRLF line ends. */
export const INTRODUCTION = wire(`--MAIN-SEPARATOR
Content-Type: text/plain

Hello World!

--MAIN-SEPARATOR
Content-Type: multipart/digest; boundary="MESSAGE-SEPARATOR"

--MESSAGE-SEPARATOR

Method: PUT
Date: Sat, 1 April 2023 10:11:12 GMT
Event-ID: 456
E-tag: 6789wxyz


--MESSAGE-SEPARATOR

Method: DELETE
Date: Sat, 1 April 2023 10:11:12 GMT
Event-ID: 789


--MESSAGE-SEPARATOR--
--MAIN-SEPARATOR--
`);
