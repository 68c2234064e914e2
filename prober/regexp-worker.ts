/**
 * The thread that runs the matches too large for the event loop (see regexp.ts). It keeps the
 * patterns it has compiled, answers one job at a time, and is terminated by its owner when the
 * job's deadline passes.
 */
import { parentPort } from 'node:worker_threads';
import { compileProgram, execNow, type Program, type RegexpMatch } from './regexp.js';

/** One match to run. */
export interface RegexpJob {
  readonly op: 'test' | 'exec';
  readonly source: string;
  readonly input: string;
}

/** Its answer: `result` for `test` is a boolean, for `exec` the match or undefined. */
export interface RegexpReply {
  readonly result?: boolean | RegexpMatch | undefined;
  readonly error?: string;
}

/** Compiled programs kept; a reload may bring new patterns, so the cache is emptied past this. */
const MAX_CACHED = 1000;
const cache = new Map<string, Program>();

function program(source: string): Program {
  let compiled = cache.get(source);
  if (!compiled) {
    if (cache.size >= MAX_CACHED) cache.clear();
    compiled = compileProgram(source);
    cache.set(source, compiled);
  }
  return compiled;
}

parentPort?.on('message', (job: RegexpJob) => {
  let reply: RegexpReply;
  try {
    const compiled = program(job.source);
    reply = { result: job.op === 'test' ? compiled.engine.test(job.input) : execNow(compiled, job.input) };
  } catch (error) {
    reply = { error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
