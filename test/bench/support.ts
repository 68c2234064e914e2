// Shared by the bench tests: an open-model run and its record with healthy defaults, each field
// overridable, so a test states only what it is about.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLatencyHistogram, validateBenchResults, type BenchResults, type OpenModelRun, type OpenRunRecord } from '../../bench/index.js';

/**
 * A healthy run at 1000 req/s; `latencies` (us) fill the response histogram, `dispatchLatencies`
 * the one from dispatch (default: the same, a generator on time), `lagUs` the send lag.
 */
export function fakeRun(over: Partial<OpenModelRun> & { latencies?: number[]; dispatchLatencies?: number[]; lagUs?: number } = {}): OpenModelRun {
  const response = createLatencyHistogram();
  for (const v of over.latencies ?? [500, 600, 700]) response.recordValue(v);
  const fromDispatch = createLatencyHistogram();
  for (const v of over.dispatchLatencies ?? over.latencies ?? [500, 600, 700]) fromDispatch.recordValue(v);
  const sendLag = createLatencyHistogram();
  sendLag.recordValue(over.lagUs ?? 300);
  return {
    offeredRps: 1000,
    planned: 1000,
    completed: 1000,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    achievedRps: 1000,
    response,
    fromDispatch,
    batches: { requests: [response.totalCount], overBound: [0] },
    service: createLatencyHistogram(),
    sendLag,
    eventLoopDelayP99Ms: 1,
    generatorCpuCores: 0.2,
    errorKinds: {},
    abandoned: false,
    stopReason: null,
    maxInFlight: 3,
    queuedInPool: 0,
    wallSeconds: 1,
    gcMaxPauseMs: 1,
    gcTotalMs: 2,
    ...over,
  };
}

/** The record of `run`: 0.1 server cores, `other` cores of other processes, `machineStallMs` of stalls. */
export const rec = (run: OpenModelRun, other: number | null = 0, machineStallMs: number | null = null, stealShare: number | null = null): OpenRunRecord => ({ run, serverCpuCores: 0.1, otherCpuCores: other, stealShare, throttledPeriods: null, machineStallMs, serverPeakRssMiB: null, serverGc: null });


/** The sample results file (test/fixtures/bench/results-v1.json) as `schemaVersion`. */
export function sampleResults(schemaVersion: 1 | 2 = 2): BenchResults {
  const file = fileURLToPath(new URL('../../../test/fixtures/bench/results-v1.json', import.meta.url));
  return validateBenchResults({ ...JSON.parse(readFileSync(file, 'utf8')), schemaVersion });
}

/**
 * A run with steps at `rates` whose CPU lines are known: the server's 0.02 cores + 30 us per
 * request, the generator's 0.05 + 50 us; `slow` multiplies both (a slower machine), `server` the
 * server's alone.
 */
export function runAt(slow: number, server = 1, rates = [1000, 2000, 4000]): BenchResults {
  const r = JSON.parse(JSON.stringify(sampleResults(2))) as { measurements: { openModel: { steps: Record<string, unknown>[] } }; recommendation: { intermediates: Record<string, number | null> } };
  const [step] = r.measurements.openModel.steps;
  r.measurements.openModel.steps = rates.map((rate) => {
    const cores = slow * server * (0.02 + rate * 30e-6);
    return { ...step, offeredRps: rate, achievedRps: rate, serverCpuCores: cores, serverCpuCoresPerRepetition: [cores], generator: { ...(step!.generator as object), cpuCores: slow * (0.05 + rate * 50e-6) } };
  });
  r.recommendation.intermediates.lambdaCapPointRps = Math.max(...rates);
  return r as unknown as BenchResults;
}
