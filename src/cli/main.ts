/** The `prep` command line: maps flags to options and renders output, nothing more. */
import { bench } from './bench.js';
import { proxy } from './proxy.js';
import { replicate } from './replicate.js';
import { serve } from './serve.js';
import { watch } from './watch.js';

const [command, ...rest] = process.argv.slice(2);

const usage = `Usage: prep <command> [options]

Commands:
  serve                run the PREP resource server (embedded SQLite store, web page)
  proxy --upstream URL live notifications for an existing HTTP API, in front of it
  watch URL            print a resource, then every change to it, as it happens
  replicate URL DIR    mirror a collection into DIR (Web Event Sourcing), then keep it live
  bench URL            load-test a server on this machine: subscribers, writes, latency
  help                 show this help

Run 'prep <command> --help' for a command's options.
`;

switch (command) {
  case 'serve':
    await serve(rest);
    break;
  case 'proxy':
    await proxy(rest);
    break;
  case 'watch':
    process.exitCode = await watch(rest);
    break;
  case 'replicate':
    process.exitCode = await replicate(rest);
    break;
  case 'bench':
    process.exitCode = await bench(rest);
    break;
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(usage);
    break;
  default:
    process.stderr.write(`prep: unknown command '${command}'\n\n${usage}`);
    process.exitCode = 2;
}
