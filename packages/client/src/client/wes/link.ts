/**
 * `Link` header fields (RFC 8288), read liberally: enough of the grammar for feed pages,
 * snapshot indexes and container discovery.
 */

/**
 * One link: its target, resolved against the document's URL, and its relation types.
 *
 * @example
 * ```ts
 * const link: WebLink = { href: 'https://example.org/a', rel: ['about'], params: new Map() };
 * ```
 */
export interface WebLink {
  /** The target, absolute (resolved against the base given to {@link parseLinkHeader}). */
  href: string;
  /** The relation types, lower-cased for registered ones (extension URIs are kept as sent). */
  rel: string[];
  /** Other parameters, lower-cased names, unquoted values. */
  params: Map<string, string>;
}

/**
 * Parses a `Link` field value (several field lines joined by `, ` are fine) into links whose
 * targets are resolved against `base`. Malformed links are skipped, not fatal.
 *
 * @example
 * ```ts
 * parseLinkHeader('</a>; rel="about", </x/1>; rel="self next"', 'https://example.org/f/');
 * // [{ href: 'https://example.org/a', rel: ['about'], ... }, { href: 'https://example.org/x/1', rel: ['self', 'next'], ... }]
 * ```
 */
export function parseLinkHeader(value: string | null | undefined, base: string): WebLink[] {
  const out: WebLink[] = [];
  if (!value) return out;
  let i = 0;
  const s = value;
  while (i < s.length) {
    const open = s.indexOf('<', i);
    if (open < 0) break;
    const close = s.indexOf('>', open);
    if (close < 0) break;
    const target = s.slice(open + 1, close).trim();
    i = close + 1;
    const params = new Map<string, string>();
    // Parameters up to the next comma outside quotes.
    for (;;) {
      while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
      if (s[i] !== ';') break;
      i++;
      while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
      let name = '';
      while (i < s.length && /[^=;,\s]/.test(s[i] as string)) name += s[i++];
      while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
      let val = '';
      if (s[i] === '=') {
        i++;
        while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
        if (s[i] === '"') {
          i++;
          while (i < s.length && s[i] !== '"') {
            if (s[i] === '\\' && i + 1 < s.length) i++;
            val += s[i++];
          }
          i++;
        } else {
          while (i < s.length && /[^;,\s]/.test(s[i] as string)) val += s[i++];
        }
      }
      const key = name.toLowerCase();
      if (key && !params.has(key)) params.set(key, val);
    }
    while (i < s.length && s[i] !== ',' && s[i] !== '<') i++;
    if (s[i] === ',') i++;
    let href: string;
    try {
      href = new URL(target, base).href;
    } catch {
      continue;
    }
    const rel = (params.get('rel') ?? '')
      .split(/\s+/)
      .filter((r) => r !== '')
      .map((r) => (/^[a-z][a-z0-9.-]*$/i.test(r) ? r.toLowerCase() : r));
    params.delete('rel');
    out.push({ href, rel, params });
  }
  return out;
}

/**
 * The target of the first link with relation `rel`, or undefined.
 *
 * @example
 * ```ts
 * const res = await fetch('https://example.org/.well-known/wes/feed/notes/');
 * findLink(parseLinkHeader(res.headers.get('link'), res.url), 'prev-archive');
 * ```
 */
export function findLink(links: readonly WebLink[], rel: string): string | undefined {
  const want = /^[a-z][a-z0-9.-]*$/i.test(rel) ? rel.toLowerCase() : rel;
  return links.find((l) => l.rel.includes(want))?.href;
}
