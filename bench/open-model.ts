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

/**
 * Runs one open-model step: warm-up then the measured window, at `rateRps`, against `url`.
 * Bounded: it sends exactly the planned requests and waits at most `timeoutMs` + 1 s after the
 * last planned send, then closes the pool (requests still open count as timeouts).
 */
export async function runOpenModel(options: OpenModelOptions): Promise<OpenModelRun> {
  const warmupSeconds = options.warmupSeconds ?? 1;
  const { rateRps, durationSeconds } = options;
  const timeoutMs = options.timeoutMs ?? 2000;
  const connections = options.connections ?? 64;
  if (!(rateRps > 0) || !(durationSeconds > 0) || !(warmupSeconds >= 0) || !(timeoutMs > 0) || !(connections >= 1)) {
    throw new InvalidArgumentError(`runOpenModel: rate ${rateRps}, duration ${durationSeconds}s, warm-up ${warmupSeconds}s, timeout ${timeoutMs}ms, connections ${connections}: all must be positive`);
  }
  const random = createRandom(options.seed ?? 1);
  const arrivals = options.arrivals ?? 'poisson';
  const warm = planArrivals(rateRps, warmupSeconds, arrivals, random);
  const measured = planArrivals(rateRps, durationSeconds, arrivals, random);
  const warmSpanUs = warmupSeconds * 1e6;
  const total = warm.length + measured.length;
  const intendedAt = (i: number): number => (i < warm.length ? warm[i]! : warmSpanUs + measured[i - warm.length]!);

  const origin = new URL(options.url).origin;
  const path = options.path ?? '/';
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: timeoutMs } });
  const response = createLatencyHistogram();
  const service = createLatencyHistogram();
  const sendLag = createLatencyHistogram();
  // The histogram holds whole timer intervals (resolution + delay); the delay is reported minus
  // the resolution below.
  const eldResolutionMs = 2;
  const eld = monitorEventLoopDelay({ resolution: eldResolutionMs });
  // GC pauses stop the scheduler like any other stall; recorded so a late send can be told apart
  // from a slow server or a busy machine.
  let measuring = false;
  let gcMaxPauseMs = 0;
  let gcTotalMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    if (!measuring) return;
    for (const entry of list.getEntries()) {
      gcTotalMs += entry.duration;
      gcMaxPauseMs = Math.max(gcMaxPauseMs, entry.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  let completed = 0;
  let errors = 0;
  let timeouts = 0;
  let non2xx = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let queuedInPool = 0;
  const errorKinds: Record<string, number> = {};
  let lastDoneUs = 0;
  let outstanding = 0;
  let allSettled: (() => void) | undefined;
  const start = nowUs() + 5_000;
  const windowStart = start + warmSpanUs;
  let cpuAtWindow: NodeJS.CpuUsage | undefined;
  const open = new Set<number>();
  const controllers = new Map<number, Dispatcher.DispatchController>();
  const timeoutUs = timeoutMs * 1000;
  // Requests in intended-time order, for the timeout sweeper (undici's own timers are coarse).
  const sentOrder: number[] = [];
  let sweepHead = 0;
  // Requests timed out while still queued in the pool (no controller yet): aborted as soon as
  // undici hands them a connection, so they are never sent late and the queue drains.
  const dead = new Set<number>();

  const settle = (i: number, intended: number, dispatched: number, outcome: 'ok' | 'non2xx' | 'timeout' | 'error', kind = outcome as string): void => {
    if (!open.delete(i)) return; // already counted (timed out by the sweeper, or closed at the deadline)
    controllers.delete(i);
    inFlight -= 1;
    outstanding -= 1;
    const done = nowUs();
    if (i >= warm.length) {
      const elapsed = done - intended;
      recordUs(response, outcome === 'timeout' ? Math.max(elapsed, timeoutUs) : elapsed);
      if (outcome !== 'timeout') recordUs(service, done - dispatched);
      if (outcome !== 'timeout' && outcome !== 'error') {
        completed += 1;
        lastDoneUs = Math.max(lastDoneUs, done);
      }
      if (outcome !== 'ok') {
        errors += 1;
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      }
      if (outcome === 'timeout') timeouts += 1;
      if (outcome === 'non2xx') non2xx += 1;
    }
    if (outstanding === 0 && allSettled) allSettled();
  };

  const fire = (i: number): void => {
    const intended = start + intendedAt(i);
    const dispatched = nowUs();
    if (i === warm.length) {
      options.hooks?.windowStart?.();
      cpuAtWindow = process.cpuUsage();
      eld.enable();
      measuring = true;
    }
    if (i >= warm.length) recordUs(sendLag, dispatched - intended);
    if (inFlight >= connections) queuedInPool += i >= warm.length ? 1 : 0;
    inFlight += 1;
    outstanding += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    open.add(i);
    sentOrder.push(i);
    let written = dispatched;
    let status = 0;
    // A raw dispatch handler: no response object, body stream or promise per request, so the
    // generator spends its CPU on sending. undici's own timeouts are only a backstop; the
    // sweeper enforces timeoutMs from the intended time.
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (controller) => {
        if (dead.delete(i)) {
          controller.abort(new Error('bench timeout'));
          return;
        }
        controllers.set(i, controller);
      },
      onRequestSent: () => {
        written = nowUs();
      },
      onResponseStart: (_controller, statusCode) => {
        status = statusCode;
      },
      onResponseData: () => {},
      onResponseEnd: () => {
        settle(i, intended, written, status >= 200 && status < 300 ? 'ok' : 'non2xx', `status ${status}`);
      },
      onResponseError: (_controller, error: Error & { code?: string }) => {
        const timedOut = error?.code === 'UND_ERR_HEADERS_TIMEOUT' || error?.code === 'UND_ERR_BODY_TIMEOUT' || error?.code === 'UND_ERR_CONNECT_TIMEOUT';
        settle(i, intended, written, timedOut ? 'timeout' : 'error', timedOut ? 'timeout' : (error?.code ?? 'error'));
      },
    };
    pool.dispatch({ origin, path, method: 'GET', headersTimeout: timeoutMs + 1000, bodyTimeout: timeoutMs + 1000 }, handler);
  };

  const sweep = (): void => {
    const t = nowUs();
    while (sweepHead < sentOrder.length) {
      const i = sentOrder[sweepHead]!;
      if (!open.has(i)) {
        sweepHead += 1;
        continue;
      }
      const intended = start + intendedAt(i);
      if (intended + timeoutUs > t) break;
      const controller = controllers.get(i);
      settle(i, intended, intended, 'timeout', 'timeout');
      if (controller) controller.abort(new Error('bench timeout'));
      else dead.add(i);
      sweepHead += 1;
    }
  };
  const sweeper = setInterval(sweep, Math.max(5, Math.min(100, timeoutMs / 4)));

  // The scheduler: fire everything due, then sleep until the next planned time. Node timers have
  // ~1 ms granularity, which shows up (honestly) in the send-lag histogram.
  let next = 0;
  let stopReason: 'lag' | 'timeouts' | null = null;
  const abandonUs = (options.abandonAfterLagMs ?? 1000) * 1000;
  // 2% of the step's requests timing out is 20x the usual error budget: the step has failed.
  const timeoutStop = Math.max(200, Math.ceil(0.02 * measured.length));
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      if (options.signal?.aborted) return resolve();
      const t = nowUs();
      if (next < total && t - (start + intendedAt(next)) > abandonUs) {
        stopReason = 'lag';
        return resolve();
      }
      if (timeouts >= timeoutStop) {
        stopReason = 'timeouts';
        return resolve();
      }
      while (next < total && start + intendedAt(next) <= t) fire(next++);
      if (next >= total) return resolve();
      const waitMs = (start + intendedAt(next) - nowUs()) / 1000;
      setTimeout(tick, Math.max(0, Math.floor(waitMs)));
    };
    setTimeout(tick, 5);
  });
  const sentAll = nowUs();

  // Wait for the stragglers, bounded; whatever is still open then is a timeout.
  if (outstanding > 0) {
    await new Promise<void>((resolve) => {
      allSettled = resolve;
      setTimeout(resolve, timeoutMs + 1000).unref();
    });
  }
  clearInterval(sweeper);
  for (const i of [...open]) {
    const controller = controllers.get(i);
    settle(i, start + intendedAt(i), start + intendedAt(i), 'timeout', 'timeout');
    controller?.abort(new Error('bench timeout'));
  }
  eld.disable();
  // Entries are delivered asynchronously: let the last ones in before closing the window.
  await new Promise((resolve) => setImmediate(resolve));
  measuring = false;
  gcObserver.disconnect();
  const cpu = process.cpuUsage(cpuAtWindow);
  if (cpuAtWindow) options.hooks?.windowEnd?.();
  const endUs = Math.max(lastDoneUs, Math.min(sentAll, start + warmSpanUs + durationSeconds * 1e6));
  await pool.destroy().catch(() => undefined);

  const windowUs = Math.max(1, endUs - windowStart);
  const planned = next > warm.length ? next - warm.length : 0;
  return {
    offeredRps: rateRps,
    planned,
    completed,
    errors,
    timeouts,
    non2xx,
    achievedRps: planned === 0 ? 0 : completed / (windowUs / 1e6),
    response,
    service,
    sendLag,
    eventLoopDelayP99Ms: eld.count > 0 ? Math.max(0, eld.percentile(99) / 1e6 - eldResolutionMs) : 0,
    gcMaxPauseMs,
    gcTotalMs,
    generatorCpuCores: cpuAtWindow ? (cpu.user + cpu.system) / windowUs : 0,
    errorKinds,
    abandoned: stopReason !== null,
    stopReason,
    maxInFlight,
    queuedInPool,
    wallSeconds: windowUs / 1e6,
  };
}
