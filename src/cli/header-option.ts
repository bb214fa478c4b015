/**
 * `--header 'Name: value'` (prep watch, replicate, bench): the extra request fields, or the
 * usage error to print.
 */
export function parseHeaderOptions(lines: readonly string[] = []): Headers | string {
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      return `--header expects 'Name: value', got ${JSON.stringify(line)}`;
    try {
      headers.append(name, line.slice(colon + 1).trim());
    } catch {
      return `--header ${JSON.stringify(line)} is not a valid header field`;
    }
  }
  return headers;
}
