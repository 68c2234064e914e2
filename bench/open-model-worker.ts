/**
 * The open-model driver on a worker thread of its own, with a small young generation: how the
 * bench runs its steps. On the bench's main thread the driver shared its heap with the
 * orchestration and ran with V8's default young generation, whose scavenges at 4,000 req/s took
 * 17-41 ms about every 2 s: 1-2% of the requests were sent or timed that much late, which is the
 * p99 the SLO is judged on, with the server idle (docs/BENCHMARKS.md, set 14). A small young
 * generation is scavenged more often, in well under a millisecond each time, and the thread's
 * heap holds only the step it runs. The thread lives for the whole sweep so that the driver's
 * code stays compiled: a fresh thread per step ran its first seconds on cold code.
 */
import { Worker } from 'node:worker_threads';
import { AbortedError, InvalidArgumentError } from '../common/index.js';
import { decodeHistogram } from './histogram.js';
import type { OpenModelOptions, OpenModelRun } from './open-model.js';

/**
 * The generator thread's young generation, MiB: V8 gives it 4 MiB of new space (two 2 MiB
 * semi-spaces). Measured against the default and other sizes in set 14.
 */
export const GENERATOR_YOUNG_GENERATION_MIB = 6;

/** Options of one step on the thread: everything but the callbacks, which stay on this side. */
type StepOptions = Omit<OpenModelOptions, 'hooks' | 'signal'>;

/** What the generator thread posts. */
export type FromGenerator =
  | { readonly type: 'windowStart' }
  | { readonly type: 'windowEnd' }
  | { readonly type: 'done'; readonly run: EncodedRun }
  | { readonly type: 'error'; readonly message: string; readonly code: string | null };

/** What the parent posts to the generator thread. */
export type ToGenerator = { readonly type: 'run'; readonly options: StepOptions } | { readonly type: 'abort' };

/** {@link OpenModelRun} with its histograms as HdrHistogram compressed base64. */
type EncodedRun = Omit<OpenModelRun, HistogramField> & Record<HistogramField, string>;
type HistogramField = 'response' | 'service' | 'fromDispatch' | 'sendLag';

/** A worker thread that runs open-model steps one at a time: {@link runOpenModel} with the same options and result. */
export class GeneratorThread {
  private readonly worker: Worker;
  private busy: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;

  constructor() {
    this.worker = new Worker(new URL('./open-model-thread.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: GENERATOR_YOUNG_GENERATION_MIB } });
    this.worker.on('error', (error) => (this.failure = error));
    this.worker.on('exit', (code) => (this.failure ??= new Error(`the open-model generator thread exited (code ${code})`)));
  }

  /**
   * One step on the thread. The hooks run on this thread when the worker says the window started
   * or ended (a message's delay: well under a millisecond on an idle thread); `signal` stops the
   * step as it would on this thread. Steps run one after another.
   */
  run(options: OpenModelOptions): Promise<OpenModelRun> {
    const step = this.busy.then(() => this.runNow(options));
    this.busy = step.catch(() => undefined);
    return step;
  }

  /** The young generation the thread runs with, MiB, as Node reports it (undefined once the thread has ended). */
  get youngGenerationMiB(): number | undefined {
    return this.worker.resourceLimits?.maxYoungGenerationSizeMb;
  }

  /** Ends the thread (a step still running is cut off). */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private runNow(options: OpenModelOptions): Promise<OpenModelRun> {
    const { hooks, signal, ...plain } = options;
    if (this.failure) return Promise.reject(this.failure);
    const stop = (): void => this.worker.postMessage({ type: 'abort' } satisfies ToGenerator);
    return new Promise<OpenModelRun>((resolve, reject) => {
      const onMessage = (message: FromGenerator): void => {
        if (message.type === 'windowStart') hooks?.windowStart?.();
        else if (message.type === 'windowEnd') hooks?.windowEnd?.();
        else finish(() => (message.type === 'done' ? resolve(decodeRun(message.run)) : reject(rebuildError(message))));
      };
      const onGone = (): void => finish(() => reject(this.failure ?? new Error('the open-model generator thread ended')));
      const finish = (outcome: () => void): void => {
        this.worker.off('message', onMessage).off('error', onGone).off('exit', onGone);
        signal?.removeEventListener('abort', stop);
        outcome();
      };
      this.worker.on('message', onMessage).on('error', onGone).on('exit', onGone);
      signal?.addEventListener('abort', stop, { once: true });
      this.worker.postMessage({ type: 'run', options: plain } satisfies ToGenerator);
    });
  }
}

function decodeRun(run: EncodedRun): OpenModelRun {
  return { ...run, response: decodeHistogram(run.response), service: decodeHistogram(run.service), fromDispatch: decodeHistogram(run.fromDispatch), sendLag: decodeHistogram(run.sendLag) };
}

/** The catalogue's errors keep their class and code across the thread; anything else is a plain Error. */
function rebuildError(e: { message: string; code: string | null }): Error {
  if (e.code === 'HELLO_ERR_INVALID_ARG') return new InvalidArgumentError(e.message);
  if (e.code === 'HELLO_ERR_ABORTED') return new AbortedError(e.message);
  return new Error(e.message);
}
