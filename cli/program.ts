import { Command } from 'commander';
import { EXIT_CODES, EXIT_MEANINGS, type ExitName } from '../common/index.js';
import { registerBench } from './commands/bench.js';
import { registerCheckMonitoring } from './commands/check-monitoring.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDestroy } from './commands/destroy.js';
import { registerDiff } from './commands/diff.js';
import { registerDev } from './commands/dev.js';
import { registerProbe } from './commands/probe.js';
import { registerProber } from './commands/prober.js';
import { registerServe } from './commands/serve.js';
import { registerSynth } from './commands/synth.js';
import { registerCost } from './commands/cost.js';

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
    .configureHelp({ sortSubcommands: true })
    .addHelpText('after', `\n${renderExitCodes()}`);
  registerServe(program);
  registerProber(program);
  registerProbe(program);
  registerDev(program);
  registerSynth(program);
  registerCost(program);
  registerDeploy(program);
  registerDiff(program);
  registerDestroy(program);
  registerBench(program);
  registerCheckMonitoring(program);
  return program;
}

/** The exit statuses every command shares, from the error catalogue (common/errors.ts). */
export function renderExitCodes(): string {
  const rows = (Object.keys(EXIT_CODES) as ExitName[]).map((name) => `  ${String(EXIT_CODES[name]).padStart(3)}  ${EXIT_MEANINGS[name]}`);
  return ['Exit status:', ...rows].join('\n');
}
