#!/usr/bin/env node
// Entry point of `hello-cli`: parse, dispatch, and turn every error into one line (or one JSON
// object with --json) and an exit status from the catalogue (common/errors.ts). The Node version
// is checked before anything else loads: on an older Node, undici fails while loading.
import { nodeTooOld } from '../common/node-version.js';

const tooOld = nodeTooOld('hello-cli');
if (tooOld) {
  process.stderr.write(`${tooOld}\n`);
  process.exit(1);
}
const { runCli } = await import('./run.js');
const status = await runCli(process.argv);
// On success the process ends by itself, or keeps serving (serve, prober and dev return while listening).
if (status !== 0) process.exit(status);
