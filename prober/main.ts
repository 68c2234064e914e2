#!/usr/bin/env node
// Entry point of the prober image: `node dist/prober/main.js --config.file F --web.listen-address H:P`.
// The Node version is checked first: on an older Node, undici fails while loading.
import { nodeTooOld } from '../common/node-version.js';

const tooOld = nodeTooOld('prober');
if (tooOld) {
  process.stderr.write(`${tooOld}\n`);
  process.exit(1);
}
const { createLogger, describeError } = await import('../common/index.js');
const { parseProberArgs } = await import('./flags.js');
const { runProberProcess } = await import('./process.js');

let options;
try {
  options = parseProberArgs(process.argv.slice(2));
} catch (error) {
  createLogger({ base: { service: 'prober' } }).error('bad arguments', { err: describeError(error) });
  process.exit(2);
}
await runProberProcess(options);
