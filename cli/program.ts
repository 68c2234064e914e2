import { Command } from 'commander';
import { registerServe } from './commands/serve.js';

/** Package version, read once for `--version`. */
const VERSION = '0.1.0';

/**
 * Builds the `hello-cli` program. Each command lives in its own file under `commands/` and
 * registers itself here; commands call the library and hand results to `output.ts`.
 */
export function createProgram(): Command {
  const program = new Command('hello-cli')
    .description('hello-edge: run, probe, benchmark and deploy tiny stateless web services on Kubernetes')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: true });
  registerServe(program);
  return program;
}
