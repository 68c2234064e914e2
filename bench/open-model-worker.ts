/**
 * The open-model driver on a worker thread of its own, with a small young generation: how the
 * bench runs its steps. On the bench's main thread the driver shared its heap with the
 * orchestration and ran with V8's default young generation: at 4,000 req/s without a quota its
 * scavenges came about every 2 s and its longest GC pause in each 4 s window was 15-36 ms, so
 * 1-2% of the requests were sent or timed that much late, which is the p99 the SLO is judged on
 * (docs/BENCHMARKS.md, set 14). A small young generation is scavenged more often and briefly
 * (the thread's longest pause per window: 1.1-10.7 ms), and the thread's heap holds only the step
 * it runs. The thread lives for the whole sweep so that the driver's code stays compiled: a
 * thread's first seconds run on cold code (open-sweep.ts warms it up once).
 */
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError } from '../common/index.js';
import { decodeHistogram, encodeHistogram } from './histogram.js';
import type { OpenModelOptions, OpenModelRun } from './open-model.js';

/**
 * The generator thread's young generation, MiB: V8 then keeps its new space (two semi-spaces) at
 * 4 MiB. Measured against V8's default in set 14.
 */
export const GENERATOR_YOUNG_GENERATION_MIB = 6;

/** Options of one step on the thread: everything but the callbacks, which stay on this side. */
export type StepOptions = Omit<OpenModelOptions, 'hooks' | 'signal'>;

/** What the generator thread posts. */
export type FromGenerator = { readonly step: number } & (
  | { readonly type: 'windowStart' }
  | { readonly type: 'windowEnd' }
  | { readonly type: 'done'; readonly run: EncodedRun; readonly newSpaceMiB: number | null }
  | { readonly type: 'error'; readonly message: string; readonly code: string | null; readonly stack: string | null }
);

/**
 * What the parent posts to the generator thread. Steps are numbered: a step the parent gave up on
 * (a hook threw) may still post, and its messages must not be taken for the next step's.
 */
export type ToGenerator = { readonly type: 'run'; readonly step: number; readonly options: StepOptions } | { readonly type: 'abort'; readonly step: number };

/** {@link OpenModelRun} with its histograms as HdrHistogram compressed base64. */
type EncodedRun = Omit<OpenModelRun, HistogramField> & Record<HistogramField, string>;
type HistogramField = 'response' | 'service' | 'fromDispatch' | 'sendLag';

/** The thread's side: a run as it can cross to the parent (a histogram object does not survive the structured clone). */
export function encodeRun(run: OpenModelRun): EncodedRun {
  return { ...run, response: encodeHistogram(run.response), service: encodeHistogram(run.service), fromDispatch: encodeHistogram(run.fromDispatch), sendLag: encodeHistogram(run.sendLag) };
}

/** The parent's side: the inverse of {@link encodeRun}. */
function decodeRun(run: EncodedRun): OpenModelRun {
  return { ...run, response: decodeHistogram(run.response), service: decodeHistogram(run.service), fromDispatch: decodeHistogram(run.fromDispatch), sendLag: decodeHistogram(run.sendLag) };
}

/**
 * A worker thread that runs open-model steps one at a time: {@link runOpenModel} with the same
 * options and result. The thread starts with the first step (not during the saturation sweep,
 * whose generator shares the core) and keeps the process alive only while a step runs.
 */
export class GeneratorThread {
  /**
   * @param youngGenerationMiB the thread's young generation; null leaves V8's default (how set 14
   *   measured what the limit changes: `fresh-server.js --young-generation default`).
   */
  constructor(private readonly youngGenerationMiB: number | null = GENERATOR_YOUNG_GENERATION_MIB) {}

  private worker: Worker | null = null;
  private busy: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private largestNewSpace: number | null = null;
  private steps = 0;

  /**
   * One step on the thread. The hooks run on this thread when the worker says the window started
   * or ended (a message's delay: well under a millisecond on an idle thread); `signal` stops the
   * step as it would on this thread, also when it is already aborted. Steps run one after another.
   */
  run(options: OpenModelOptions): Promise<OpenModelRun> {
    const step = this.busy.then(() => this.runNow(options));
    this.busy = step.catch(() => undefined);
    return step;
  }

  /**
   * The largest new space (the young generation's two semi-spaces) the thread's heap had at the
   * end of a step, MiB, as V8 reports it; null before the first step. Without the limit the
   * driver's allocation grows it to 16 MiB; the limit holds it at 4 (set 14).
   */
  get largestNewSpaceMiB(): number | null {
    return this.largestNewSpace;
  }

  /** Ends the thread (a step still running is cut off and rejects). */
  async close(): Promise<void> {
    this.failure ??= new Error('the open-model generator thread was closed');
    await this.worker?.terminate();
  }

  private start(): Worker {
    const limits = this.youngGenerationMiB === null ? {} : { resourceLimits: { maxYoungGenerationSizeMb: this.youngGenerationMiB } };
    const worker = new Worker(new URL('./open-model-thread.js', import.meta.url), limits);
    worker.on('error', (error) => (this.failure ??= error));
    worker.on('exit', (code) => (this.failure ??= new Error(`the open-model generator thread exited (code ${code})`)));
    return worker;
  }

  private runNow(options: OpenModelOptions): Promise<OpenModelRun> {
    const { hooks, signal, ...plain } = options;
    if (this.failure) return Promise.reject(this.failure);
    const worker = (this.worker ??= this.start());
    const step = ++this.steps;
    const stop = (): void => worker.postMessage({ type: 'abort', step } satisfies ToGenerator);
    return new Promise<OpenModelRun>((resolve, reject) => {
      const onMessage = (message: FromGenerator): void => {
        if (message.step !== step) return;
        try {
          if (message.type === 'windowStart') hooks?.windowStart?.();
          else if (message.type === 'windowEnd') hooks?.windowEnd?.();
          else if (message.type === 'done') finish(() => resolve(this.received(message)));
          else finish(() => reject(rebuildError(message)));
        } catch (error) {
          // A hook that throws fails the step, not the process; the thread is told to stop.
          stop();
          finish(() => reject(error));
        }
      };
      const onGone = (): void => finish(() => reject(this.failure ?? new Error('the open-model generator thread ended')));
      let finished = false;
      const finish = (outcome: () => void): void => {
        if (finished) return;
        finished = true;
        worker.off('message', onMessage).off('error', onGone).off('exit', onGone);
        signal?.removeEventListener('abort', stop);
        worker.unref();
        outcome();
      };
      worker.ref();
      worker.on('message', onMessage).on('error', onGone).on('exit', onGone);
      worker.postMessage({ type: 'run', step, options: plain } satisfies ToGenerator);
      if (signal?.aborted) stop();
      else signal?.addEventListener('abort', stop, { once: true });
    });
  }

  private received(message: Extract<FromGenerator, { type: 'done' }>): OpenModelRun {
    if (message.newSpaceMiB !== null) this.largestNewSpace = Math.max(this.largestNewSpace ?? 0, message.newSpaceMiB);
    return decodeRun(message.run);
  }
}

/** The catalogue's InvalidArgumentError keeps its class; any other error its message, code and the thread's stack. */
function rebuildError(e: { message: string; code: string | null; stack: string | null }): Error {
  if (e.code === 'HELLO_ERR_INVALID_ARG') return new InvalidArgumentError(e.message);
  const error = new Error(e.message) as Error & { code?: string };
  if (e.code !== null) error.code = e.code;
  if (e.stack !== null) error.stack = `${e.stack}\n    (on the open-model generator thread)`;
  return error;
}
