/**
 * The closed-loop saturation sweep with autocannon: for several connection counts, a warm-up
 * then a measured run; it finds the highest throughput (X_max) and the server's CPU per request.
 * Only throughput and CPU come from here: closed-loop latency hides stalls (coordinated
 * omission), so no latency from this sweep is used for the SLO.
 */
import autocannon from 'autocannon';
import { AbortedError } from '../common/index.js';
import { busyCoresBetween, processCpuSeconds, readCoreTimes, stealShareBetween } from './host.js';
import type { BenchProgress } from './run.js';

/** One measured autocannon run. */
export interface SaturationRun {
  readonly connections: number;
  readonly rps: number;
  readonly seconds: number;
  /** Server CPU cores over the run, or null when the pid is unknown. */
  readonly serverCpuCores: number | null;
  /** This process's CPU cores over the run (autocannon runs in it). */
  readonly generatorCpuCores: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** Other processes' CPU (all cores busy - server - generator) over the run, cores, or null. */
  readonly otherCpuCores: number | null;
  /** The share of the run the host stole from the server's core(s), 0..1; null when they are unknown. */
  readonly stealShare: number | null;
  /** autocannon's closed-loop latency p99 in ms (for showing what it hides; never for the SLO). */
  readonly closedLoopP99Ms: number;
}

/** Options of {@link runSaturationStep}. */
export interface SaturationStepOptions {
  readonly url: string;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** Server pid for CPU time, or null. */
  readonly pid: number | null;
  /** The cores the server is pinned to (for the host's steal), or null. */
  readonly serverCores: readonly number[] | null;
  /** Per-request timeout, seconds. Default 10. */
  readonly timeoutSeconds?: number;
}

/** Runs autocannon once to warm up (discarded) and once measured. Bounded by its durations. */
export async function runSaturationStep(options: SaturationStepOptions): Promise<SaturationRun> {
  const { url, connections, pid } = options;
  const timeout = options.timeoutSeconds ?? 10;
  if (options.warmupSeconds > 0) await autocannon({ url, connections, pipelining: 1, duration: options.warmupSeconds, timeout });
  const serverBefore = pid === null ? null : processCpuSeconds(pid);
  const coresBefore = readCoreTimes();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({ url, connections, pipelining: 1, duration: options.durationSeconds, timeout });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = pid === null ? null : processCpuSeconds(pid);
  const coresAfter = readCoreTimes();
  const serverCpuCores = serverBefore === null || serverAfter === null ? null : (serverAfter - serverBefore) / seconds;
  const generatorCpuCores = (cpu.user + cpu.system) / 1e6 / seconds;
  return {
    connections,
    rps: result.requests.total / seconds,
    seconds,
    serverCpuCores,
    generatorCpuCores,
    otherCpuCores:
      coresBefore === null || coresAfter === null ? null : Math.max(0, busyCoresBetween(coresBefore, coresAfter, seconds) - (serverCpuCores ?? 0) - generatorCpuCores),
    stealShare: coresBefore === null || coresAfter === null || options.serverCores === null ? null : stealShareBetween(coresBefore, coresAfter, options.serverCores),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    closedLoopP99Ms: result.latency.p99,
  };
}

/** What the saturation sweep runs. */
export interface SaturationSweepOptions {
  readonly url: string;
  readonly pid: number | null;
  /** The cores the server is pinned to, or null. */
  readonly serverCores: readonly number[] | null;
  /** Connection counts, one measured run each. */
  readonly connections: readonly number[];
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Pause after each run, seconds. */
  readonly coolDownSeconds: number;
  readonly signal: AbortSignal | undefined;
  readonly progress: (event: BenchProgress) => void;
}

/** The closed-loop sweep: one warm-up and one measured run per connection count, with progress. */
export async function runSaturationSweep(o: SaturationSweepOptions): Promise<SaturationRun[]> {
  const runs: SaturationRun[] = [];
  const steps = o.connections.length;
  for (const [i, connections] of o.connections.entries()) {
    if (o.signal?.aborted) throw new AbortedError('bench aborted');
    o.progress({ phase: 'saturation', step: i + 1, steps, message: `autocannon, ${connections} connection(s), ${o.seconds}s` });
    const run = await runSaturationStep({ url: o.url, connections, warmupSeconds: o.warmupSeconds, durationSeconds: o.seconds, pid: o.pid, serverCores: o.serverCores });
    runs.push(run);
    o.progress({ phase: 'saturation', step: i + 1, steps, message: `  ${Math.round(run.rps)} req/s, server ${run.serverCpuCores?.toFixed(2) ?? '?'} cores, autocannon ${run.generatorCpuCores.toFixed(2)} cores` });
    await new Promise((resolve) => setTimeout(resolve, o.coolDownSeconds * 1000));
  }
  return runs;
}
