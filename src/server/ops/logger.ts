import { pino } from 'pino';
import type { Logger } from '../engine/logger.js';
import { formatRequestLine, requestFields, type RequestRecord } from '../engine/request-record.js';

/** The log of `prep serve`: requests, and what an operator must read. */
export interface ServeLogger extends Logger {
  /** One request (the request log), unless it is off. */
  request(record: RequestRecord): void;
  /** Whether entries are JSON objects (else lines of text). */
  readonly json: boolean;
}

/** Where a logger writes. */
export interface LogStreams {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/**
 * `prep serve --log-format text|json`. Text: a line per request on stdout
 * (`formatRequestLine`) and `prep serve: ...` lines (warnings and errors on stderr). JSON: one
 * pino object per line on stdout for everything (`level`, ISO `time`, `pid`, the record's
 * fields for a request, `err` for an error). `requests: false` (`--quiet`) drops the request
 * log only. `base` fields go into every JSON entry (a worker's number).
 *
 * @example
 * ```ts
 * const log = createServeLogger('json', { requests: true });
 * log.request(record); // {"level":"info","time":"...","reqId":"...","method":"GET",...,"msg":"request"}
 * ```
 */
export function createServeLogger(
  format: 'text' | 'json',
  options: { requests: boolean; base?: Record<string, unknown>; streams?: LogStreams },
): ServeLogger {
  const { out, err } = options.streams ?? { out: process.stdout, err: process.stderr };
  if (format === 'json') {
    const log = pino(
      {
        base: { pid: process.pid, ...options.base },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
      },
      out,
    );
    return {
      json: true,
      request: options.requests
        ? (record) => log.info(requestFields(record), 'request')
        : () => undefined,
      info: (fields, msg) => log.info(fields, msg),
      warn: (fields, msg) => log.warn(fields, msg),
      error: (fields, msg) => log.error(fields, msg),
    };
  }
  const line = (stream: NodeJS.WritableStream, fields: object, msg = '') => {
    const e = (fields as { err?: unknown }).err;
    const reason = e instanceof Error ? `: ${e.message.split('\n')[0]}` : '';
    stream.write(`prep serve: ${msg}${reason}\n`);
  };
  return {
    json: false,
    request: options.requests
      ? (record) => out.write(`${formatRequestLine(record)}\n`)
      : () => undefined,
    info: (fields, msg) => line(out, fields, msg),
    warn: (fields, msg) => line(err, fields, msg),
    error: (fields, msg) => line(err, fields, msg),
  };
}
