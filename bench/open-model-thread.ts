/**
 * The worker thread's side of {@link GeneratorThread} (open-model-worker.ts): runs the open-model
 * steps the parent sends, one at a time, tells it when each measured window starts and ends,
 * stops a step when told to, and posts each result with its histograms encoded (a histogram
 * object does not survive the structured clone). One thread serves a whole sweep, so the driver's
 * code stays compiled from step to step.
 */
import { parentPort } from 'node:worker_threads';
import { encodeHistogram } from './histogram.js';
import { runOpenModel } from './open-model.js';
import type { FromGenerator, ToGenerator } from './open-model-worker.js';

const port = parentPort!;
const post = (message: FromGenerator): void => port.postMessage(message);
let current: AbortController | null = null;

port.on('message', (message: ToGenerator) => {
  if (message.type === 'abort') current?.abort();
  else void runStep(message.options);
});

async function runStep(options: Extract<ToGenerator, { type: 'run' }>['options']): Promise<void> {
  current = new AbortController();
  try {
    const run = await runOpenModel({
      ...options,
      signal: current.signal,
      hooks: { windowStart: () => post({ type: 'windowStart' }), windowEnd: () => post({ type: 'windowEnd' }) },
    });
    post({
      type: 'done',
      run: { ...run, response: encodeHistogram(run.response), service: encodeHistogram(run.service), fromDispatch: encodeHistogram(run.fromDispatch), sendLag: encodeHistogram(run.sendLag) },
    });
  } catch (error) {
    const e = error as { message?: unknown; code?: unknown };
    post({ type: 'error', message: String(e.message ?? error), code: typeof e.code === 'string' ? e.code : null });
  } finally {
    current = null;
  }
}
