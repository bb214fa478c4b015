import type { IncomingMessage } from 'node:http';

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1, and the proxy ones of RFC 9110 §11.7): they describe one
 * connection, so a proxy never forwards them; the fields a `Connection` header names are
 * hop-by-hop too.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/** How the proxy rewrites a request's fields for the upstream. */
export interface ForwardingOptions {
  /** The upstream's `host[:port]`, sent as `Host` unless `preserveHost`. */
  upstreamHost: string;
  /** Send the client's own `Host` instead (the upstream builds links with the proxy's name). */
  preserveHost?: boolean;
  /** Fields left out besides the hop-by-hop ones (lower case). */
  drop?: ReadonlySet<string>;
  /** Fields set in place of the client's (lower-case name → value). */
  set?: ReadonlyMap<string, string>;
}

/**
 * The fields of a request as the upstream gets them, as a flat `[name, value, ...]` list in
 * the client's order and spelling: hop-by-hop fields out, `Host` the upstream's (unless
 * `preserveHost`), and the proxy's own trace added: `Forwarded` (RFC 7239) and the
 * `X-Forwarded-For`/`-Host`/`-Proto` most applications read. An earlier proxy's
 * `X-Forwarded-Host` and `-Proto` are kept; `For` and `Forwarded` get this hop appended.
 *
 * @example
 * ```ts
 * const fields = forwardedRequestHeaders(req, { upstreamHost: '127.0.0.1:3000' });
 * http.request({ host: '127.0.0.1', port: 3000, method: req.method, path: req.url, headers: fields });
 * ```
 */
export function forwardedRequestHeaders(
  req: IncomingMessage,
  options: ForwardingOptions,
): string[] {
  const raw = req.rawHeaders;
  const dropped = connectionFields(raw);
  const drop = options.drop;
  const set = options.set;
  const out: string[] = [];
  let clientHost: string | undefined;
  let forwarded: string | undefined;
  let forwardedFor: string | undefined;
  let hasHost = false;
  let hasProto = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || dropped.has(lower) || drop?.has(lower) || set?.has(lower))
      continue;
    switch (lower) {
      case 'host':
        clientHost ??= value;
        if (options.preserveHost) out.push(name, value);
        continue;
      case 'forwarded':
        forwarded = forwarded === undefined ? value : `${forwarded}, ${value}`;
        continue;
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      case 'x-forwarded-host':
        hasHost = true;
        break;
      case 'x-forwarded-proto':
        hasProto = true;
        break;
    }
    out.push(name, value);
  }
  if (!options.preserveHost || clientHost === undefined) out.unshift('Host', options.upstreamHost);
  for (const [name, value] of set ?? []) out.push(name, value);
  const address = req.socket?.remoteAddress;
  const proto = 'encrypted' in (req.socket ?? {}) ? 'https' : 'http';
  const hop = [
    address !== undefined ? `for=${quoted(address.includes(':') ? `[${address}]` : address)}` : '',
    clientHost !== undefined ? `host=${quoted(clientHost)}` : '',
    `proto=${proto}`,
  ]
    .filter((p) => p !== '')
    .join(';');
  out.push('Forwarded', forwarded === undefined ? hop : `${forwarded}, ${hop}`);
  if (address !== undefined)
    out.push(
      'X-Forwarded-For',
      forwardedFor === undefined ? address : `${forwardedFor}, ${address}`,
    );
  else if (forwardedFor !== undefined) out.push('X-Forwarded-For', forwardedFor);
  if (!hasHost && clientHost !== undefined) out.push('X-Forwarded-Host', clientHost);
  if (!hasProto) out.push('X-Forwarded-Proto', proto);
  return out;
}

/**
 * The fields of an upstream response as the client gets them: everything but the hop-by-hop
 * fields, in the upstream's order and spelling (a flat list for `writeHead`).
 *
 * @example
 * ```ts
 * res.writeHead(upstream.statusCode!, upstream.statusMessage, endToEndHeaders(upstream.rawHeaders));
 * ```
 */
export function endToEndHeaders(raw: readonly string[]): string[] {
  const dropped = connectionFields(raw);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && !dropped.has(lower)) out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** A flat `[name, value, ...]` list as pairs. */
export function fieldPairs(flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

/** The field names a `Connection` header lists (lower case): hop-by-hop as well. */
function connectionFields(raw: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (raw[i]!.toLowerCase() === 'connection')
      for (const token of raw[i + 1]!.split(','))
        if (token.trim() !== '') out.add(token.trim().toLowerCase());
  return out;
}

/** An RFC 7239 quoted-string. */
function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
