/**
 * Regular expressions the way the blackbox exporter has them: Go's RE2 syntax (`(?i)`, `\pL`,
 * `[[:alpha:]]`, `\z`, `(?P<name>...)`; no lookarounds or backreferences), matched in time
 * linear in the input by re2js, a pure-JavaScript port of RE2 (no native addon, no WASM, no
 * install script: it works in the distroless image and with `npm ci --ignore-scripts`).
 *
 * Linear is not small: the engine's worst case is about 200 ns per input character per program
 * instruction (measured on this stack), so a 1000-instruction pattern on a 64 KiB body takes
 * seconds. A match whose bound (input length x program size) is under {@link INLINE_BUDGET}
 * runs at once; a larger one runs in a worker thread under the probe's deadline, and the worker
 * is terminated when the deadline passes. So no pattern and no input can stall the event loop
 * (other probes, `/-/healthy`, `/metrics`) or keep a probe past its deadline.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RE2JS } from 're2js';
import type { RegexpJob, RegexpReply } from './regexp-worker.js';

/** A pattern compiled at config load. Plain frozen data; the engine's program is kept aside. */
export interface ProbeRegexp {
  /** The pattern as written in the config. */
  readonly source: string;
  /** Instructions of the compiled program (the engine's work per input character is at most proportional). */
  readonly programSize: number;
}

/** What `exec` found: the groups by number (0 = the whole match) and the numbers of each name. */
export interface RegexpMatch {
  readonly groups: readonly (string | undefined)[];
  /** Go allows a name on several groups (`(?P<n>a)|(?P<n>b)`): their numbers, in order. */
  readonly named: Readonly<Record<string, readonly number[]>>;
}

/** A compiled engine and the numbers of the groups of each name as written. */
export interface Program {
  readonly engine: RE2JS;
  readonly named: Readonly<Record<string, readonly number[]>>;
}

/**
 * Largest input length x program size matched on the calling thread: at the measured worst
 * case (~200 ns per unit) that is about 4 ms. Typical checks (a header value, a short body, a
 * banner line) are far below it; anything above goes to a worker.
 */
export const INLINE_BUDGET = 20_000;

/** Worker threads matching at once (at least one, at most two, fewer than the cores when possible). */
const MAX_WORKERS = Math.max(1, Math.min(2, availableParallelism() - 1));

const programs = new WeakMap<ProbeRegexp, Program>();

/**
 * Compiles `source` with the exporter's syntax and limits (repeat counts up to 1000, Go's
 * "expression too large").
 * @throws Error with Go's message, e.g. "error parsing regexp: missing closing ): `(unclosed`".
 */
export function compileRegexp(source: string): ProbeRegexp {
  const program = compileProgram(source);
  const compiled: ProbeRegexp = Object.freeze({ source, programSize: program.engine.programSize() });
  programs.set(compiled, program);
  return compiled;
}

/** Compiles `source` for matching (this thread or the worker's). */
export function compileProgram(source: string): Program {
  const { unique, written } = uniqueGroupNames(source);
  const engine = RE2JS.compile(unique);
  const named: Record<string, number[]> = {};
  for (const [name, index] of Object.entries(engine.namedGroups()).sort((a, b) => a[1] - b[1])) {
    (named[written.get(name) ?? name] ??= []).push(index);
  }
  return { engine, named };
}

/**
 * Go accepts a capture name given to several groups; re2js refuses it. Renames each repeat to a
 * name no group has (outside escapes, `\Q...\E` and character classes) and says which written
 * name each new one stands for.
 */
function uniqueGroupNames(source: string): { unique: string; written: Map<string, string> } {
  const written = new Map<string, string>();
  const taken = new Set([...source.matchAll(/\(\?P?<([A-Za-z0-9_]+)>/g)].map((m) => m[1] as string));
  const seen = new Set<string>();
  let unique = '';
  let i = 0;
  while (i < source.length) {
    const skip = skipLiteral(source, i);
    if (skip > i) {
      unique += source.slice(i, skip);
      i = skip;
      continue;
    }
    const group = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(source.slice(i, i + 260));
    if (group) {
      const name = group[1] as string;
      let renamed = name;
      if (seen.has(name)) {
        for (let n = 2; taken.has(renamed); n++) renamed = `${name}_${n}`;
        taken.add(renamed);
        written.set(renamed, name);
      }
      seen.add(name);
      unique += group[0].replace(`<${name}>`, `<${renamed}>`);
      i += group[0].length;
      continue;
    }
    unique += source[i];
    i += 1;
  }
  return { unique, written };
}

/** End of the escape, `\Q...\E` or character class starting at `i` (`i` itself when none does). */
function skipLiteral(source: string, i: number): number {
  if (source[i] === '\\') {
    if (source[i + 1] !== 'Q') return i + 2;
    const end = source.indexOf('\\E', i + 2);
    return end === -1 ? source.length : end + 2;
  }
  if (source[i] !== '[') return i;
  let j = i + 1;
  if (source[j] === '^') j += 1;
  if (source[j] === ']') j += 1; // a ] first in a class is a literal
  while (j < source.length && source[j] !== ']') {
    if (source[j] === '\\') j += 2;
    else if (source.startsWith('[:', j) && source.indexOf(':]', j + 2) !== -1) j = source.indexOf(':]', j + 2) + 2;
    else j += 1;
  }
  return j + 1;
}

/** True when `re` matches anywhere in `input` (Go's `Regexp.MatchString`). Rejects when `signal` aborts first. */
export async function testRegexp(re: ProbeRegexp, input: string, signal: AbortSignal): Promise<boolean> {
  if (input.length * re.programSize <= INLINE_BUDGET) return programOf(re).engine.test(input);
  return (await inWorker({ op: 'test', source: re.source, input }, signal)) as boolean;
}

/** The leftmost match of `re` in `input` with its groups (Go's `FindSubmatchIndex`), or undefined. */
export async function execRegexp(re: ProbeRegexp, input: string, signal: AbortSignal): Promise<RegexpMatch | undefined> {
  if (input.length * re.programSize <= INLINE_BUDGET) return execNow(programOf(re), input);
  return (await inWorker({ op: 'exec', source: re.source, input }, signal)) as RegexpMatch | undefined;
}

/** Runs `exec` on the calling thread; the worker uses it too. */
export function execNow(program: Program, input: string): RegexpMatch | undefined {
  const found = program.engine.exec(input);
  if (!found) return undefined;
  return { groups: Array.from(found, (g: unknown) => (typeof g === 'string' ? g : undefined)), named: program.named };
}

/**
 * Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}` take a group of `match` (empty when it
 * is absent or did not take part), `$$` is a `$`; a `$` not followed by a valid name is kept as is.
 * A bare name is the longest run of letters, digits and `_` (so `$1x` is the group named `1x`).
 */
export function expandTemplate(template: string, match: RegexpMatch): string {
  return template.replace(/\$(?:\$|\{([\p{L}\p{N}_]+)\}|([\p{L}\p{N}_]+))?/gu, (whole, braced: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare;
    if (name === undefined) return '$';
    if (/^\d+$/.test(name)) return match.groups[Number(name)] ?? '';
    // Of several groups with the name, the first that took part.
    const index = (match.named[name] ?? []).find((i) => match.groups[i] !== undefined);
    return index === undefined ? '' : (match.groups[index] ?? '');
  });
}

function programOf(re: ProbeRegexp): Program {
  let program = programs.get(re);
  if (!program) {
    // Not from compileRegexp (a copy of the config, say): compile again rather than fail.
    program = compileProgram(re.source);
    programs.set(re, program);
  }
  return program;
}

// ---- the worker pool: a few long-lived threads, spawned on first need ----

interface PendingJob {
  readonly job: RegexpJob;
  readonly signal: AbortSignal;
  readonly resolve: (value: RegexpReply['result']) => void;
  readonly reject: (error: unknown) => void;
  /** Takes the job out of the queue when its deadline passes before a worker is free. */
  readonly dropIfQueued: () => void;
}

const idle: Worker[] = [];
const queue: PendingJob[] = [];
let live = 0;

function inWorker(job: RegexpJob, signal: AbortSignal): Promise<RegexpReply['result']> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const dropIfQueued = (): void => {
      queue.splice(queue.indexOf(pending), 1);
      reject(signal.reason);
    };
    const pending: PendingJob = { job, signal, resolve, reject, dropIfQueued };
    signal.addEventListener('abort', dropIfQueued, { once: true });
    queue.push(pending);
    dispatch();
  });
}

function dispatch(): void {
  while (queue.length > 0 && (idle.length > 0 || live < MAX_WORKERS)) {
    const pending = queue.shift() as PendingJob;
    run(idle.pop() ?? spawnWorker(), pending);
  }
}

function spawnWorker(): Worker {
  live += 1;
  const worker = new Worker(new URL('./regexp-worker.js', import.meta.url));
  worker.unref();
  return worker;
}

/** Runs one job on `worker`; at the deadline the worker is terminated (the only way to stop a match). */
function run(worker: Worker, { job, signal, resolve, reject, dropIfQueued }: PendingJob): void {
  signal.removeEventListener('abort', dropIfQueued);
  let settled = false;
  const finish = (): void => {
    settled = true;
    signal.removeEventListener('abort', onAbort);
    worker.off('message', onMessage);
    worker.off('error', onError);
    worker.off('exit', onError);
    worker.unref();
  };
  const retire = (): void => {
    live -= 1;
    void worker.terminate();
    dispatch();
  };
  const onMessage = (reply: RegexpReply): void => {
    finish();
    idle.push(worker);
    dispatch();
    if (reply.error !== undefined) reject(new Error(reply.error));
    else resolve(reply.result);
  };
  // An error, or an exit nobody asked for (out of memory): the job fails, the worker is replaced.
  const onError = (error: unknown): void => {
    if (settled) return;
    finish();
    retire();
    reject(error);
  };
  const onAbort = (): void => {
    if (settled) return;
    finish();
    retire();
    reject(signal.reason);
  };
  worker.on('message', onMessage);
  worker.on('error', onError);
  worker.on('exit', onError);
  signal.addEventListener('abort', onAbort, { once: true });
  worker.ref();
  worker.postMessage(job);
}
