import { CommanderError } from 'commander';
import { EXIT_CODES, UsageError, describeError, errorToJson, isHelloEdgeError, type UnknownModuleError } from '../common/index.js';
import { printError, printJson } from './output.js';
import { createProgram } from './program.js';

// commander's codes for output that is not an error (help, version).
const COMMANDER_SUCCESS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/**
 * Runs `hello-cli` with `argv` and returns the exit status (see EXIT_CODES). Usage errors
 * (unknown command or option, missing or bad argument) are 2, distinct from "the job ran and
 * the answer is no" (1). With `--json` a failure prints `{"ok":false,"error":{...}}` on stdout.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  const program = createProgram();
  // Subcommands copy these settings only when created after them, so set them on every command.
  for (const command of [program, ...program.commands]) {
    command.exitOverride();
    // One line per error: commander puts its "Did you mean" hint on a second line.
    command.configureOutput({ outputError: (text, write) => write(text.replace(/\n\(Did you mean ([^)]*)\)\n?$/, ' (did you mean $1)\n')) });
    if (json) command.configureOutput({ writeErr: () => undefined }); // the JSON error says it instead
  }
  try {
    await program.parseAsync([...argv]);
    return process.exitCode === undefined ? EXIT_CODES.ok : Number(process.exitCode);
  } catch (thrown) {
    if (thrown instanceof CommanderError && COMMANDER_SUCCESS.has(thrown.code)) return EXIT_CODES.ok;
    // commander has already printed its own line for its errors (unless --json silenced it).
    const error = thrown instanceof CommanderError ? new UsageError(thrown.message.replace(/^error: /, '')) : thrown;
    if (json) printJson(jsonError(error));
    else if (!(thrown instanceof CommanderError)) printError(messageOf(error));
    return isHelloEdgeError(error) ? error.exitCode : EXIT_CODES.internal;
  }
}

function messageOf(error: unknown): string {
  if (!isHelloEdgeError(error)) {
    const where = process.env.HELLO_DEBUG ? `\n${(error as Error)?.stack ?? ''}` : ' (a bug: please report it; HELLO_DEBUG=1 shows where)';
    return `unexpected error: ${describeError(error)}${where}`;
  }
  if (error.code === 'HELLO_ERR_UNKNOWN_MODULE') {
    const known = (error as UnknownModuleError).known;
    return `${error.message}; the config has ${known.length ? known.join(', ') : 'no modules'}`;
  }
  return error.message;
}

function jsonError(error: unknown): ReturnType<typeof errorToJson> {
  const out = errorToJson(error);
  return isHelloEdgeError(error) ? { ok: false, error: { ...out.error, message: messageOf(error) } } : out;
}
