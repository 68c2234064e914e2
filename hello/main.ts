#!/usr/bin/env node
// Entry point of the hello image: `node hello/main.js`. Configuration comes from the environment
// only (see contract.ts for the variables).
import { runHelloProcess } from './process.js';

await runHelloProcess();
