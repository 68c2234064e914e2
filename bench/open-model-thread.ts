/**
 * The worker thread's side of {@link GeneratorThread} (open-model-worker.ts): runs the numbered
 * open-model steps the parent sends, one at a time; tells the parent when each measured window
 * starts and ends; stops a step when told to; and posts each result (encodeRun) with the size
 * of this heap's new space. One thread serves a whole sweep, so the driver's code stays compiled from step to step.
 * There is no full GC here between steps, unlike on the main thread (gc.ts): with one before every
 * step the thread's send lag p99 was 7.9-37.6 ms (median 18.5) in 4 s windows at 4,000 req/s,
 * against 1.5-6.1 ms (median 2.8) without (docs/BENCHMARKS.md set 14). Its heap holds one step,
 * and its young generation is small.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { runOpenModel } from './open-model.js';
import { encodeRun, type FromGenerator, type StepOptions, type ToGenerator } from './open-model-worker.js';

const port = parentPort!;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** The step running now and its abort switch. */
let current: { readonly step: number; readonly abort: AbortController } | null = null;

port.on('message', (message: ToGenerator) => {
  if (message.type === 'abort') {
    if (current?.step === message.step) current.abort.abort();
  } else void runStep(message.step, message.options);
});

async function runStep(step: number, options: StepOptions): Promise<void> {
  const mine = { step, abort: new AbortController() };
  current = mine;
  const post = (message: DistributiveOmit<FromGenerator, 'step'>): void => port.postMessage({ ...message, step });
  try {
    const run = await runOpenModel({
      ...options,
      signal: mine.abort.signal,
      hooks: { windowStart: () => post({ type: 'windowStart' }), windowEnd: () => post({ type: 'windowEnd' }) },
    });
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    post({
      type: 'done',
      run: encodeRun(run),
      newSpaceMiB: newSpace ? newSpace.space_size / 2 ** 20 : null,
    });
  } catch (error) {
    const e = error as { message?: unknown; code?: unknown; stack?: unknown };
    post({ type: 'error', message: String(e.message ?? error), code: typeof e.code === 'string' ? e.code : null, stack: typeof e.stack === 'string' ? e.stack : null });
  } finally {
    if (current === mine) current = null;
  }
}
