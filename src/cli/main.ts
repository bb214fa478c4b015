/** The `prep` command line: maps flags to options and renders output, nothing more. */
import { serve } from './serve.js';

const [command, ...rest] = process.argv.slice(2);

const usage = `Usage: prep <command> [options]

Commands:
  serve      run the PREP resource server (embedded SQLite store, web page)
  help       show this help
`;

switch (command) {
  case 'serve':
    await serve(rest);
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
