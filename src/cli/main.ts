/** The `prep` command line: maps flags to options and renders output, nothing more. */
import { readFileSync } from 'node:fs';
import { closestFlag, usageError } from './args.js';
import { bench } from './bench.js';
import { proxy } from './proxy.js';
import { replicate } from './replicate.js';
import { serve } from './serve.js';
import { watch } from './watch.js';

const [command, ...rest] = process.argv.slice(2);
const COMMANDS = ['serve', 'watch', 'replicate', 'bench', 'help'];

const usage = `Usage: prep <command> [options]

Commands:
  serve                run the PREP resource server (embedded SQLite store, web page)
  proxy --upstream URL live notifications for an existing HTTP API, in front of it
  watch URL            print a resource, then every change to it, as it happens
  replicate URL DIR    mirror a collection into DIR (Web Event Sourcing), then keep it live
  bench URL            load-test a server on this machine: subscribers, writes, latency
  help                 show this help

Options:
  -v, --version        print the version of prep-live
  -h, --help           show this help

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
  case '--version':
  case '-v':
    process.stdout.write(`prep-live ${version()}\n`);
    break;
  default: {
    const near = closestFlag(command, COMMANDS);
    process.exitCode = command.startsWith('-')
      ? usageError('prep', `unknown option ${command}`)
      : usageError(
          'prep',
          `unknown command '${command}'`,
          near === undefined ? undefined : `did you mean prep ${near}?`,
        );
  }
}

/** The version in this package's package.json (two folders up from src/cli and dist/cli). */
function version(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
