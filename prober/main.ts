#!/usr/bin/env node
// Entry point of the prober image: `node dist/prober/main.js --config.file F --web.listen-address H:P`.
import { createLogger, describeError } from '../common/index.js';
import { parseProberArgs } from './flags.js';
import { runProberProcess } from './process.js';

let options;
try {
  options = parseProberArgs(process.argv.slice(2));
} catch (error) {
  createLogger({ base: { service: 'prober' } }).error('bad arguments', { err: describeError(error) });
  process.exit(2);
}
await runProberProcess(options);
