/**
 * Structured Field Values for HTTP (RFC 9651), with the PREP extension (HDR-2):
 * list-valued parameters, enabled by `{ extended: true }`.
 */
export * from './types.js';
export * from './errors.js';
export * from './parser.js';
export * from './serializer.js';
export * from './field-lines.js';
