/**
 * The examples' application data: JSON documents kept in memory, as an app that keeps its
 * own data would. Nothing here knows about PREP; each example tells `prep.notify` what
 * changed.
 */
import { createHash } from 'node:crypto';
// In your app: import { applyDelta, formatHttpDate, isPrepError } from '@prep-live/client/core';
import { applyDelta, formatHttpDate, isPrepError } from '../../packages/client/src/core/index.js';

export const JSON_TYPE = 'application/json';
export const PATCH_TYPES = ['application/merge-patch+json', 'application/json-patch+json'];

/** One stored document. */
export interface Doc {
  /** The JSON text, as served. */
  json: string;
  /** Strong ETag: a hash of the text. */
  etag: string;
  /** `Last-Modified` value. */
  lastModified: string;
}

/** The outcome of a write: an HTTP status, and the documents before and after. */
export interface Written {
  status: number;
  before?: Doc | undefined;
  after?: Doc | undefined;
  /** Why a write failed (for the problem text). */
  error?: string;
}

/** The documents, by name. */
export class Documents {
  readonly #docs = new Map<string, Doc>();

  get(name: string): Doc | undefined {
    return this.#docs.get(name);
  }

  /** Replaces (or creates) a document; `ifMatch` as sent. 201, 204, 400 or 412. */
  put(name: string, text: string, ifMatch?: string): Written {
    const before = this.#docs.get(name);
    if (!matches(ifMatch, before)) return { status: 412, before, error: 'If-Match failed' };
    if (!isJson(text)) return { status: 400, before, error: 'the body is not JSON' };
    const after = makeDoc(text);
    this.#docs.set(name, after);
    return { status: before ? 204 : 201, before, after };
  }

  /** Applies a JSON merge patch or JSON Patch. 204, 400, 404, 412, 415 or 422. */
  patch(name: string, type: string, patch: string, ifMatch?: string): Written {
    const before = this.#docs.get(name);
    if (!before) return { status: 404, error: `no document ${name}` };
    if (!matches(ifMatch, before)) return { status: 412, before, error: 'If-Match failed' };
    if (!PATCH_TYPES.includes(type))
      return { status: 415, before, error: `PATCH takes ${PATCH_TYPES.join(', ')}` };
    let next: Uint8Array;
    try {
      next = applyDelta(type, Buffer.from(before.json), Buffer.from(patch));
    } catch (err) {
      if (!isPrepError(err)) throw err;
      return { status: err.status ?? 422, before, error: err.message };
    }
    const after = makeDoc(Buffer.from(next).toString('utf8'));
    this.#docs.set(name, after);
    return { status: 204, before, after };
  }

  /** Deletes a document. 204, 404 or 412. */
  delete(name: string, ifMatch?: string): Written {
    const before = this.#docs.get(name);
    if (!before) return { status: 404, error: `no document ${name}` };
    if (!matches(ifMatch, before)) return { status: 412, before, error: 'If-Match failed' };
    this.#docs.delete(name);
    return { status: 204, before };
  }
}

/** A document as a representation for deltas (`before`/`after` of `prep.notify`). */
export function representation(
  doc: Doc | undefined,
): { contentType: string; body: string } | undefined {
  return doc && { contentType: JSON_TYPE, body: doc.json };
}

/** The media type of a request's Content-Type, lower case, without parameters. */
export function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

function makeDoc(json: string): Doc {
  const etag = `"${createHash('sha256').update(json).digest('hex').slice(0, 20)}"`;
  return { json, etag, lastModified: formatHttpDate(new Date()) };
}

function matches(ifMatch: string | undefined, doc: Doc | undefined): boolean {
  if (ifMatch === undefined) return true;
  if (!doc) return false;
  return ifMatch.split(',').some((t) => t.trim() === '*' || t.trim() === doc.etag);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
