#!/usr/bin/env node
// Entry point of the hello image: `node hello/main.js`. Configuration comes from the environment
// only (see contract.ts for the variables). The Node version is checked before the service loads.
import { nodeTooOld } from '../common/node-version.js';

const tooOld = nodeTooOld('hello');
if (tooOld) {
  process.stderr.write(`${tooOld}\n`);
  process.exit(1);
}
const { runHelloProcess } = await import('./process.js');
await runHelloProcess();
