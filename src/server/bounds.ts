/**
 * The defaults of the bounds on what one request may make the server spend (SEC-2), in one
 * place: the library's options, `prep serve`'s flags and docs/security.md all name these.
 */
export const DEFAULT_BOUNDS = {
  /** Largest request body (PUT, PATCH, POST), in bytes. */
  maxBodyBytes: 1024 * 1024,
  /** Longest request target, in characters. */
  maxUrlLength: 4096,
  /** Most segments in a path: a write creates every missing container above it. */
  maxPathDepth: 32,
  /** Most operations in one JSON Patch. */
  maxPatchOperations: 2000,
  /**
   * Bytes of the document one patch may move or copy: an insert into or removal from an
   * array moves every later element (8 bytes each), a `copy` duplicates its value.
   */
  maxPatchTouchedBytes: 128 * 1024 * 1024,
  /**
   * A `Last-Event-ID` replay with deltas: at most this many events read (to rebuild the
   * states and to replay), and this many bytes of representation handled; beyond either, the
   * client gets the current representation instead (RSP-5).
   */
  replay: { maxEvents: 1000, maxBytes: 16 * 1024 * 1024 },
  /**
   * Deltas of notifications (N822-8), made in the turn a write is published: a document
   * larger than `maxInputBytes` is not diffed, and once the deltas of one turn took
   * `maxTurnMs`, the rest of that turn's notifications go without one (the clients re-fetch).
   * A JSON delta of 256 KiB costs some 20-40 ms here; of 1 MiB, over 100 ms.
   */
  delta: { maxInputBytes: 256 * 1024, maxTurnMs: 20 },
  /** Bytes of WES snapshots held in memory, complete or being made, for all containers. */
  snapshotMemoryBytes: 128 * 1024 * 1024,
} as const;
