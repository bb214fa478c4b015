/**
 * Where the engine, and what embeds it, write what an operator may need: pino's shape (a pino
 * logger is one: `createPrep({ logger: pino() })`), or anything with these three methods.
 * The first argument is the structured part (fields), the second the message.
 *
 * @example
 * ```ts
 * const logger: Logger = {
 *   info: (fields, msg) => console.log(msg, fields),
 *   warn: (fields, msg) => console.warn(msg, fields),
 *   error: (fields, msg) => console.error(msg, fields),
 * };
 * ```
 */
export interface Logger {
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
}
