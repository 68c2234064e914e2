/**
 * The open-model (constant arrival rate) driver on undici. Requests go out at planned times
 * whatever the server does, and latency is measured from the *intended* send time, so a stall
 * shows up in every request that should have been sent during it (no coordinated omission).
 * Timeouts and errors are recorded in the latency histogram at their elapsed time (at least the
 * timeout) and counted; nothing is dropped.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Pool, type Dispatcher } from 'undici';
import { InvalidArgumentError } from '../common/index.js';
import { createRandom, planArrivals } from './arrivals.js';
import { createLatencyHistogram, recordUs, type LatencyHistogram } from './histogram.js';

/** Options of {@link runOpenModel}. */
export interface OpenModelOptions {
  /** Origin of the server, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Path requested. Default `/`. */
  readonly path?: string;
  /** Offered rate, requests per second. */
  readonly rateRps: number;
  /** Warm-up at the same rate in the same process, discarded. Default 1 s. */
  readonly warmupSeconds?: number;
  /** Measured window. */
  readonly durationSeconds: number;
  /** Arrival process. Default `poisson`. */
  readonly arrivals?: 'poisson' | 'uniform';
  /** PRNG seed for the plan. Default 1. */
  readonly seed?: number;
  /** Keep-alive connections in the pool. Default 64. */
  readonly connections?: number;
  /**
   * Per-request timeout in ms, counted from the intended send time (what a user waits); a request
   * still open then is aborted and counted as a timeout. Default 2000.
   */
  readonly timeoutMs?: number;
  /** Stops the run early; the result then covers what was sent. */
  readonly signal?: AbortSignal;
  /**
   * Give up on the step when the generator falls this far (ms) behind its plan: the step is
   * invalid anyway and a growing backlog only wastes time. Default 1000.
   */
  readonly abandonAfterLagMs?: number;
  /**
   * Called when the measured window starts (first measured send) and ends (all its requests
   * settled), so a caller can read the server's CPU over exactly that window.
   */
  readonly hooks?: { readonly windowStart?: () => void; readonly windowEnd?: () => void };
  /**
   * The SLO's latency bound, microseconds: each of the measured window's batches (by intended
   * time) counts its requests whose response time exceeds it, for the SLO verdict's interval.
   */
  readonly sloBoundUs?: number;
}

/**
 * The measured window cut into {@link WINDOW_BATCHES} batches by intended send time (0.4 s in a
 * 4 s quick step, 1 s in a 10 s full one): long against a pause's effect (tens of ms), so batches
 * are close to independent, and ten per repetition even in quick mode, so Student's t stays small.
 */
export const WINDOW_BATCHES = 10;

/** The measured window's batches by intended send time. */
export interface OpenModelBatches {
  /** Requests per batch. */
  readonly requests: readonly number[];
  /** Requests per batch whose response time exceeded `sloBoundUs` (all 0 without a bound). */
  readonly overBound: readonly number[];
}

/** What one open-model run measured (the measured window only). */
export interface OpenModelRun {
  readonly offeredRps: number;
  /** Requests planned in the measured window. */
  readonly planned: number;
  /** Responses received (any status). */
  readonly completed: number;
  /** Transport errors, timeouts and non-2xx responses. */
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** Responses per second: completed / (last completion or window end - window start). */
  readonly achievedRps: number;
  /** Response time from the intended send time, microseconds (the SLO histogram). */
  readonly response: LatencyHistogram;
  /** Service time from when the request was written to the socket, microseconds. */
  readonly service: LatencyHistogram;
  /**
   * Response time from when the generator dispatched the request (waiting in the pool included,
   * the generator's own lateness left out), microseconds: what the server did, whatever the
   * generator's timers did.
   */
  readonly fromDispatch: LatencyHistogram;
  readonly batches: OpenModelBatches;
  /** Dispatch time minus intended time, microseconds: the generator's own lateness. */
  readonly sendLag: LatencyHistogram;
  /** Generator event-loop delay p99 (beyond the monitor's 2 ms interval), ms. */
  readonly eventLoopDelayP99Ms: number;
  /** The generator's garbage-collection pauses in the measured window: the longest and the sum, ms. */
  readonly gcMaxPauseMs: number;
  readonly gcTotalMs: number;
  /** Generator CPU (this process) over the measured window, in cores. */
  readonly generatorCpuCores: number;
  /** Failures by kind: undici error code, `timeout`, or `status <code>`. */
  readonly errorKinds: Readonly<Record<string, number>>;
  /** Most requests in flight at once. */
  readonly maxInFlight: number;
  /** Requests dispatched while every pool connection was busy (they waited in the pool). */
  readonly queuedInPool: number;
  /** True when the step stopped sending early; `stopReason` says why. */
  readonly abandoned: boolean;
  /**
   * `lag`: the generator fell too far behind its plan; `timeouts`: so many requests timed out
   * that the step had failed anyway (overload), and sending more would only pile up memory.
   */
  readonly stopReason: 'lag' | 'timeouts' | null;
  /** Wall time of the measured window, seconds (start of window to last completion). */
  readonly wallSeconds: number;
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** One shared error for aborting requests: creating an Error (and its stack) per request costs. */
const TIMEOUT = new Error('bench timeout');

/** The options with defaults applied and checked. */
interface ResolvedOptions {
  readonly url: string;
  readonly path: string;
  readonly rateRps: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly timeoutMs: number;
  readonly connections: number;
  readonly abandonAfterLagMs: number;
  readonly sloBoundUs: number;
}

/**
 * Runs one open-model step: warm-up then the measured window, at `rateRps`, against `url`.
 * Bounded: it sends exactly the planned requests and waits at most `timeoutMs` + 1 s after the
 * last planned send, then closes the pool (requests still open count as timeouts).
 */
export async function runOpenModel(options: OpenModelOptions): Promise<OpenModelRun> {
  const o = resolveOptions(options);
  const random = createRandom(options.seed ?? 1);
  const arrivals = options.arrivals ?? 'poisson';
  const warm = planArrivals(o.rateRps, o.warmupSeconds, arrivals, random);
  const measured = planArrivals(o.rateRps, o.durationSeconds, arrivals, random);
  const pool = new Pool(new URL(o.url).origin, { connections: o.connections, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: o.timeoutMs } });
  const run = new OpenLoop(o, warm, measured, pool, options.hooks ?? {});
  try {
    const stopReason = await run.sendAll(options.signal);
    const sentAll = nowUs();
    await run.drain();
    return await run.finish(stopReason, sentAll);
  } finally {
    run.close();
    await pool.destroy().catch(() => undefined);
  }
}

function resolveOptions(options: OpenModelOptions): ResolvedOptions {
  const o: ResolvedOptions = {
    url: options.url,
    path: options.path ?? '/',
    rateRps: options.rateRps,
    warmupSeconds: options.warmupSeconds ?? 1,
    durationSeconds: options.durationSeconds,
    timeoutMs: options.timeoutMs ?? 2000,
    connections: options.connections ?? 64,
    abandonAfterLagMs: options.abandonAfterLagMs ?? 1000,
    sloBoundUs: options.sloBoundUs ?? Infinity,
  };
  if (!(o.rateRps > 0) || !(o.durationSeconds > 0) || !(o.warmupSeconds >= 0) || !(o.timeoutMs > 0) || !(o.connections >= 1)) {
    throw new InvalidArgumentError(
      `runOpenModel: rate ${o.rateRps}, duration ${o.durationSeconds}s, warm-up ${o.warmupSeconds}s, timeout ${o.timeoutMs}ms, connections ${o.connections}: all must be positive`,
    );
  }
  return o;
}

/** Where each request is: not sent yet, in flight, or settled (answered, failed or timed out). */
const enum Slot {
  Unsent = 0,
  Open = 1,
  Settled = 2,
}

type Outcome = 'ok' | 'non2xx' | 'timeout' | 'error';

/**
 * The undici handler of one request: no response object, body stream or promise per request, so
 * the generator spends its CPU on sending. Methods on a class rather than closures, so a request
 * costs one small object.
 */
class RequestHandler implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | null = null;
  /** Timed out before undici gave it a connection: abort it as soon as it gets one. */
  dead = false;
  /** When it was written to the socket (until then: when it was dispatched), us. */
  written: number;
  private status = 0;

  constructor(
    private readonly loop: OpenLoop,
    readonly index: number,
    readonly dispatched: number,
  ) {
    this.written = dispatched;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.dead) controller.abort(TIMEOUT);
    else this.controller = controller;
  }

  onRequestSent(): void {
    this.written = nowUs();
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    const ok = this.status >= 200 && this.status < 300;
    this.loop.settle(this.index, ok ? 'ok' : 'non2xx', ok ? 'ok' : `status ${this.status}`);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error & { code?: string }): void {
    const timedOut = error?.code === 'UND_ERR_HEADERS_TIMEOUT' || error?.code === 'UND_ERR_BODY_TIMEOUT' || error?.code === 'UND_ERR_CONNECT_TIMEOUT';
    this.loop.settle(this.index, timedOut ? 'timeout' : 'error', timedOut ? 'timeout' : (error?.code ?? 'error'));
  }
}

/**
 * The bookkeeping of one run: the plan, each request's slot, the counters and histograms of the
 * measured window, the scheduler that fires due requests, and the sweeper that times requests out
 * `timeoutMs` after their intended time (undici's own timers are coarse). Requests are fired in
 * plan order, so the sweeper walks them by index.
 */
class OpenLoop {
  private readonly intended: Float64Array;
  private readonly slots: Uint8Array;
  private readonly handlers: (RequestHandler | undefined)[];
  private readonly warmCount: number;
  private readonly start = nowUs() + 5_000;
  private readonly timeoutUs: number;
  private readonly origin: string;
  private readonly response = createLatencyHistogram();
  private readonly service = createLatencyHistogram();
  private readonly fromDispatch = createLatencyHistogram();
  private readonly sendLag = createLatencyHistogram();
  private readonly batchRequests: number[];
  private readonly batchOverBound: number[];
  private readonly eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  private readonly gc = new GcPauses();
  private readonly errorKinds: Record<string, number> = {};
  private counts = { completed: 0, errors: 0, timeouts: 0, non2xx: 0, queuedInPool: 0 };
  private next = 0;
  private inFlight = 0;
  private maxInFlight = 0;
  private lastDoneUs = 0;
  private sweepHead = 0;
  private cpuAtWindow: NodeJS.CpuUsage | undefined;
  private allSettled: (() => void) | undefined;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly o: ResolvedOptions,
    warm: Float64Array,
    measured: Float64Array,
    private readonly pool: Pool,
    private readonly hooks: NonNullable<OpenModelOptions['hooks']>,
  ) {
    this.warmCount = warm.length;
    this.intended = new Float64Array(warm.length + measured.length);
    this.intended.set(warm);
    const warmSpanUs = o.warmupSeconds * 1e6;
    measured.forEach((t, k) => (this.intended[warm.length + k] = warmSpanUs + t));
    this.slots = new Uint8Array(this.intended.length);
    this.handlers = new Array<RequestHandler | undefined>(this.intended.length);
    this.timeoutUs = o.timeoutMs * 1000;
    this.origin = new URL(o.url).origin;
    this.batchRequests = new Array<number>(WINDOW_BATCHES).fill(0);
    this.batchOverBound = this.batchRequests.map(() => 0);
    this.sweeper = setInterval(() => this.sweep(), Math.max(5, Math.min(100, o.timeoutMs / 4)));
  }

  private get total(): number {
    return this.intended.length;
  }

  private intendedAt(i: number): number {
    return this.start + this.intended[i]!;
  }

  /**
   * The scheduler: fire everything due, then sleep until the next planned time. Node timers have
   * ~1 ms granularity, which shows up (honestly) in the send-lag histogram. Returns why it
   * stopped early, or null when every planned request went out.
   */
  sendAll(signal: AbortSignal | undefined): Promise<'lag' | 'timeouts' | null> {
    const abandonUs = this.o.abandonAfterLagMs * 1000;
    // 2% of the step's requests timing out is 20x the usual error budget: the step has failed.
    const timeoutStop = Math.max(200, Math.ceil(0.02 * (this.total - this.warmCount)));
    return new Promise((resolve) => {
      const tick = (): void => {
        if (signal?.aborted) return resolve(null);
        const t = nowUs();
        if (this.next < this.total && t - this.intendedAt(this.next) > abandonUs) return resolve('lag');
        if (this.counts.timeouts >= timeoutStop) return resolve('timeouts');
        while (this.next < this.total && this.intendedAt(this.next) <= t) this.fire(this.next++);
        if (this.next >= this.total) return resolve(null);
        setTimeout(tick, Math.max(0, Math.floor((this.intendedAt(this.next) - nowUs()) / 1000)));
      };
      setTimeout(tick, 5);
    });
  }

  private fire(i: number): void {
    const dispatched = nowUs();
    const measuring = i >= this.warmCount;
    if (i === this.warmCount) this.openWindow();
    if (measuring) recordUs(this.sendLag, dispatched - this.intendedAt(i));
    if (measuring && this.inFlight >= this.o.connections) this.counts.queuedInPool += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.slots[i] = Slot.Open;
    const handler = new RequestHandler(this, i, dispatched);
    this.handlers[i] = handler;
    // undici's own timeouts are only a backstop; the sweeper enforces timeoutMs from the intended time.
    this.pool.dispatch({ origin: this.origin, path: this.o.path, method: 'GET', headersTimeout: this.o.timeoutMs + 1000, bodyTimeout: this.o.timeoutMs + 1000 }, handler);
  }

  private openWindow(): void {
    this.hooks.windowStart?.();
    this.cpuAtWindow = process.cpuUsage();
    this.eld.enable();
    this.gc.start();
  }

  /** Counts a request's end once (a timed-out request may still answer later: ignored). */
  settle(i: number, outcome: Outcome, kind: string): void {
    if (this.slots[i] !== Slot.Open) return;
    const handler = this.handlers[i]!;
    this.slots[i] = Slot.Settled;
    this.handlers[i] = undefined;
    this.inFlight -= 1;
    const done = nowUs();
    if (i >= this.warmCount) this.record(i, done, handler, outcome, kind);
    if (this.inFlight === 0 && this.allSettled) this.allSettled();
  }

  private record(i: number, done: number, handler: RequestHandler, outcome: Outcome, kind: string): void {
    const elapsed = done - this.intendedAt(i);
    const response = outcome === 'timeout' ? Math.max(elapsed, this.timeoutUs) : elapsed;
    recordUs(this.response, response);
    recordUs(this.fromDispatch, response - (handler.dispatched - this.intendedAt(i)));
    const batch = Math.min(WINDOW_BATCHES - 1, Math.floor(((this.intended[i]! - this.o.warmupSeconds * 1e6) / (this.o.durationSeconds * 1e6)) * WINDOW_BATCHES));
    this.batchRequests[batch]! += 1;
    if (response > this.o.sloBoundUs) this.batchOverBound[batch]! += 1;
    if (outcome !== 'timeout') recordUs(this.service, done - handler.written);
    if (outcome === 'ok' || outcome === 'non2xx') {
      this.counts.completed += 1;
      this.lastDoneUs = Math.max(this.lastDoneUs, done);
    }
    if (outcome !== 'ok') {
      this.counts.errors += 1;
      this.errorKinds[kind] = (this.errorKinds[kind] ?? 0) + 1;
    }
    if (outcome === 'timeout') this.counts.timeouts += 1;
    if (outcome === 'non2xx') this.counts.non2xx += 1;
  }

  /** Times out, in plan order, the open requests whose intended time is `timeoutMs` past. */
  private sweep(): void {
    const t = nowUs();
    for (; this.sweepHead < this.next; this.sweepHead++) {
      const i = this.sweepHead;
      if (this.slots[i] !== Slot.Open) continue;
      if (this.intendedAt(i) + this.timeoutUs > t) break;
      this.timeOut(i);
    }
  }

  /**
   * A request still open at its deadline: counted as a timeout and aborted; one still queued in
   * the pool (no connection yet) is aborted as soon as undici hands it one, so it is never sent
   * late and the queue drains.
   */
  private timeOut(i: number): void {
    const handler = this.handlers[i]!;
    this.settle(i, 'timeout', 'timeout');
    if (handler.controller) handler.controller.abort(TIMEOUT);
    else handler.dead = true;
  }

  /** Waits for the stragglers, bounded; whatever is still open then is a timeout. */
  async drain(): Promise<void> {
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        this.allSettled = resolve;
        setTimeout(resolve, this.o.timeoutMs + 1000).unref();
      });
    }
    clearInterval(this.sweeper);
    for (let i = 0; i < this.next; i++) if (this.slots[i] === Slot.Open) this.timeOut(i);
  }

  /** Closes the measured window and returns what it measured. */
  async finish(stopReason: 'lag' | 'timeouts' | null, sentAll: number): Promise<OpenModelRun> {
    this.eld.disable();
    // GC entries are delivered asynchronously: let the last ones in before closing the window.
    await new Promise((resolve) => setImmediate(resolve));
    this.gc.stop();
    const cpu = process.cpuUsage(this.cpuAtWindow);
    if (this.cpuAtWindow) this.hooks.windowEnd?.();
    const windowStart = this.start + this.o.warmupSeconds * 1e6;
    const endUs = Math.max(this.lastDoneUs, Math.min(sentAll, windowStart + this.o.durationSeconds * 1e6));
    const windowUs = Math.max(1, endUs - windowStart);
    const planned = this.next > this.warmCount ? this.next - this.warmCount : 0;
    return {
      offeredRps: this.o.rateRps,
      planned,
      ...this.counts,
      achievedRps: planned === 0 ? 0 : this.counts.completed / (windowUs / 1e6),
      response: this.response,
      service: this.service,
      fromDispatch: this.fromDispatch,
      batches: { requests: this.batchRequests, overBound: this.batchOverBound },
      sendLag: this.sendLag,
      eventLoopDelayP99Ms: this.eld.count > 0 ? Math.max(0, this.eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS) : 0,
      gcMaxPauseMs: this.gc.maxMs,
      gcTotalMs: this.gc.totalMs,
      generatorCpuCores: this.cpuAtWindow ? (cpu.user + cpu.system) / windowUs : 0,
      errorKinds: this.errorKinds,
      abandoned: stopReason !== null,
      stopReason,
      maxInFlight: this.maxInFlight,
      wallSeconds: windowUs / 1e6,
    };
  }

  /** Stops the sweeper and the monitors (also when the run failed half-way). */
  close(): void {
    clearInterval(this.sweeper);
    this.eld.disable();
    this.gc.stop();
  }
}

/**
 * The event-loop delay monitor's timer interval, ms. Its histogram holds whole intervals
 * (interval + delay); the delay is reported minus the interval.
 */
const ELD_RESOLUTION_MS = 2;

/**
 * This process's garbage-collection pauses while started: GC stops the scheduler like any other
 * stall, and recording it lets a late send be told apart from a slow server or a busy machine.
 */
class GcPauses {
  maxMs = 0;
  totalMs = 0;
  private measuring = false;
  private readonly observer = new PerformanceObserver((list) => {
    if (!this.measuring) return;
    for (const entry of list.getEntries()) {
      this.totalMs += entry.duration;
      this.maxMs = Math.max(this.maxMs, entry.duration);
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  start(): void {
    this.measuring = true;
  }

  stop(): void {
    this.measuring = false;
    this.observer.disconnect();
  }
}
