#!/usr/bin/env node
// Entry point of `hello-cli`: parse, dispatch, and turn typed errors into one line and an exit code.
import { CommanderError } from 'commander';
import { HelloEdgeError } from '../common/index.js';
import { createProgram } from './program.js';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `hello-cli: Node.js 24 or newer is required, this is ${process.version}. Run it through npm (npm ci brings Node 24) or install Node 24.\n`,
  );
  process.exit(1);
}

const program = createProgram();
program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander already printed its one-line reason (or the help / version text).
    process.exit(error.exitCode);
  }
  if (error instanceof HelloEdgeError) {
    process.stderr.write(`hello-cli: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`hello-cli: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(70);
}
