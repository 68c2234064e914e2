/**
 * One open-model repetition as the bench measures it: a full GC of the main thread's heap first
 * (not of the generator thread's: open-model-thread.ts says why), the driver's run on the
 * generator thread (open-model-worker.ts), and around its measured window the server's CPU and
 * peak memory, the other processes' CPU, the time the host stole from the server's core, the
 * quota's throttling and whole-machine stalls.
 */
import { collectGarbage } from './gc.js';
import { busyCoresBetween, cpuListCores, processCpuSeconds, processPeakRssMiB, readCoreTimes, resetPeakRss, stealShareBetween, type CoreTimes } from './host.js';
import type { OpenModelRun } from './open-model.js';
import type { GeneratorThread } from './open-model-worker.js';
import type { StallMonitor } from './stalls.js';
import type { BenchTarget, ServerGc } from './target.js';

/** One open-model run plus what was measured around it. */
export interface OpenRunRecord {
  readonly run: OpenModelRun;
  /** Server CPU cores over the window, or null. */
  readonly serverCpuCores: number | null;
  /** Other processes' CPU cores over the window (all cores busy - server - generator), or null. */
  readonly otherCpuCores: number | null;
  /**
   * The share of the window the host stole from the server's core(s), 0..1; null when the server
   * is not pinned (its core is unknown) or off Linux. A VM's neighbours, not this machine's processes.
   */
  readonly stealShare: number | null;
  /** CFS periods throttled during the window, or null without a quota. */
  readonly throttledPeriods: number | null;
  /** Whole-machine stalls during the window (stalls.ts), ms; null when not monitored. */
  readonly machineStallMs: number | null;
  /** The server's peak RSS during this run (warm-up included), MiB; null when it cannot be isolated. */
  readonly serverPeakRssMiB: number | null;
  /** The server's GC pauses in the window; null when they cannot be seen (a URL the bench did not start). */
  readonly serverGc: ServerGc | null;
}

/** What one repetition runs. */
export interface OpenStepParams {
  readonly rate: number;
  readonly seed: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly arrivals: 'poisson' | 'uniform';
  readonly connections: number;
  readonly timeoutMs: number;
  /** The SLO's latency bound, for the batches' counts (open-model.ts). */
  readonly sloBoundUs: number;
  readonly signal: AbortSignal | undefined;
}

/** Measures one repetition against `target`. */
export async function measureOpenStep(target: BenchTarget, stalls: StallMonitor, generator: GeneratorThread, p: OpenStepParams): Promise<OpenRunRecord> {
  collectGarbage();
  // The step's own memory peak (warm-up included): the high-water mark is reset first.
  const rssIsolated = target.pid !== null && resetPeakRss(target.pid);
  const window = watchWindow(target, stalls);
  const run = await generator.run({
    url: target.url,
    rateRps: p.rate,
    warmupSeconds: p.warmupSeconds,
    durationSeconds: p.durationSeconds,
    arrivals: p.arrivals,
    seed: p.seed,
    connections: p.connections,
    timeoutMs: p.timeoutMs,
    sloBoundUs: p.sloBoundUs,
    signal: p.signal,
    hooks: { windowStart: window.start, windowEnd: window.end },
  });
  const serverPeakRssMiB = rssIsolated && target.pid !== null ? processPeakRssMiB(target.pid) : null;
  return { run, ...window.readings(), serverPeakRssMiB, serverGc: await window.serverGc() };
}

type WindowReadings = Omit<OpenRunRecord, 'run' | 'serverPeakRssMiB' | 'serverGc'>;

/** Readings taken at the start and the end of the measured window, and what they add up to. */
function watchWindow(target: BenchTarget, stalls: StallMonitor): { start: () => void; end: () => void; readings: () => WindowReadings; serverGc: () => Promise<ServerGc | null> } {
  let gc: Promise<ServerGc | null> = Promise.resolve(null);
  let before: { at: number; server: number | null; cores: CoreTimes | null; throttled: number | null; generator: NodeJS.CpuUsage; stalledMs: number } | undefined;
  let readings: WindowReadings = { serverCpuCores: null, otherCpuCores: null, stealShare: null, throttledPeriods: null, machineStallMs: null };
  const serverCores = cpuListCores(target.cpus);
  const serverCpu = (): number | null => (target.pid === null ? null : processCpuSeconds(target.pid));
  return {
    start: () => {
      target.markGc();
      before = { at: performance.now(), server: serverCpu(), cores: readCoreTimes(), throttled: target.quota?.throttledPeriods() ?? null, generator: process.cpuUsage(), stalledMs: stalls.read().totalMs };
    },
    end: () => {
      if (before === undefined) return;
      gc = target.readGc();
      const seconds = (performance.now() - before.at) / 1000;
      const server = serverCpu();
      const cores = readCoreTimes();
      const generator = process.cpuUsage(before.generator);
      const throttled = target.quota?.throttledPeriods() ?? null;
      const serverCpuCores = before.server !== null && server !== null ? (server - before.server) / seconds : null;
      const busy = before.cores !== null && cores !== null ? busyCoresBetween(before.cores, cores, seconds) : null;
      readings = {
        serverCpuCores,
        otherCpuCores: busy === null ? null : Math.max(0, busy - (serverCpuCores ?? 0) - (generator.user + generator.system) / 1e6 / seconds),
        stealShare: before.cores !== null && cores !== null && serverCores !== null ? stealShareBetween(before.cores, cores, serverCores) : null,
        throttledPeriods: before.throttled !== null && throttled !== null ? throttled - before.throttled : null,
        machineStallMs: stalls.read().totalMs - before.stalledMs,
      };
    },
    readings: () => readings,
    serverGc: () => gc,
  };
}
