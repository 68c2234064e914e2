/**
 * The worker thread's side of {@link GeneratorThread} (open-model-worker.ts): runs the open-model
 * steps the parent sends, one at a time; tells the parent when each measured window starts and ends; stops a step when told to; and posts each
 * result with its histograms encoded (a histogram object does not survive the structured clone)
 * and the size of this heap's new space. One thread serves a whole sweep, so the driver's code
 * stays compiled from step to step. There is no full GC here between steps, unlike on the main
 * thread (gc.ts): with one before every step the thread's send lag p99 was 8-15 ms in every 4 s window
 * at 4,000 req/s, against 2-10 ms after the first without (docs/BENCHMARKS.md set 14); its heap holds one step, and its
 * young generation is small.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { parentPort } from 'node:worker_threads';
import { encodeHistogram } from './histogram.js';
import { runOpenModel } from './open-model.js';
import type { FromGenerator, StepOptions, ToGenerator } from './open-model-worker.js';

const port = parentPort!;
const post = (message: FromGenerator): void => port.postMessage(message);
let current: AbortController | null = null;

port.on('message', (message: ToGenerator) => {
  if (message.type === 'abort') current?.abort();
  else void runStep(message.options);
});

async function runStep(options: StepOptions): Promise<void> {
  current = new AbortController();
  try {
    const run = await runOpenModel({
      ...options,
      signal: current.signal,
      hooks: { windowStart: () => post({ type: 'windowStart' }), windowEnd: () => post({ type: 'windowEnd' }) },
    });
    const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    post({
      type: 'done',
      run: { ...run, response: encodeHistogram(run.response), service: encodeHistogram(run.service), fromDispatch: encodeHistogram(run.fromDispatch), sendLag: encodeHistogram(run.sendLag) },
      newSpaceMiB: newSpace ? newSpace.space_size / 2 ** 20 : null,
    });
  } catch (error) {
    const e = error as { message?: unknown; code?: unknown; stack?: unknown };
    post({ type: 'error', message: String(e.message ?? error), code: typeof e.code === 'string' ? e.code : null, stack: typeof e.stack === 'string' ? e.stack : null });
  } finally {
    current = null;
  }
}
