/**
 * The node:http example's app on HTTP/2: every notifications stream of a browser shares one
 * connection (SEC-4), so a page can watch more than six resources.
 *
 * TLS (what browsers speak; HTTP/1.1 clients are served on the same port):
 *   openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
 *     -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout key.pem -out cert.pem
 *   node --import tsx examples/http2.ts --cert cert.pem --key key.pem   (PORT=8443)
 *   curl -k -N -H 'Accept-Events: "prep"' https://127.0.0.1:8443/docs/a
 *
 * h2c (no TLS, by prior knowledge: curl --http2-prior-knowledge, proxies; plain HTTP/1.1 too):
 *   node --import tsx examples/http2.ts --h2c                            (PORT=8080)
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
// In your app: import { ... } from 'prep-live/server';
import {
  closeHttp2Server,
  createPrep,
  createPrepHttp2Server,
  listenHttp2,
} from '../src/server/index.js';
import { docsListener } from './node-http.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { cert: { type: 'string' }, key: { type: 'string' }, h2c: { type: 'boolean' } },
  });
  const cert = values.cert ?? process.env.CERT_FILE;
  const key = values.key ?? process.env.KEY_FILE;
  if (!values.h2c && (cert === undefined || key === undefined)) {
    console.error('usage: examples/http2.ts --cert cert.pem --key key.pem | --h2c');
    process.exit(2);
  }
  const prep = createPrep({ watch: (path) => path.startsWith('/docs/') });
  const server = createPrepHttp2Server(
    prep,
    docsListener(prep),
    values.h2c ? { h2c: true } : { cert: readFileSync(cert!), key: readFileSync(key!) },
  );
  const port = Number(process.env.PORT ?? (values.h2c ? 8080 : 8443));
  const { url } = await listenHttp2(server, port, process.env.HOST ?? '127.0.0.1');
  console.log(`listening on ${url}`);
  const stop = (): void => {
    void prep.close();
    void closeHttp2Server(server).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
