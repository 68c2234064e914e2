/**
 * The open-model sweep: offered rates as fractions of X_max, each repeated, in a seeded random
 * order; then the repetitions the generator's own timing spoiled are measured again; when not
 * even the lowest rate met the SLO, half of it (a few times at most); then two more rates where
 * the SLO (or validity) boundary fell between two steps, then what that spoiled. Every arrival
 * plan's seed comes from the step's identity (rate, repetition, attempt), so a step's plan does
 * not depend on what ran before it.
 */
import { AbortedError } from '../common/index.js';
import { createRandom, deriveSeed } from './arrivals.js';
import { serverFellShort, spoiledByGenerator, type RunGates } from './assess.js';
import type { BenchOpenStep, BenchRemeasured, BenchSlo } from './contract.js';
import { percentileUs } from './histogram.js';
import type { GeneratorThread } from './open-model-worker.js';
import { measureOpenStep, type OpenRunRecord } from './open-step.js';
import type { BenchPlan, BenchProgress } from './run.js';
import type { StallMonitor } from './stalls.js';
import { rateBelow, refineRates, summarizeOpenStep } from './summarize.js';
import type { BenchTarget } from './target.js';

/** What the open sweep needs. */
export interface OpenSweepOptions {
  readonly target: BenchTarget;
  readonly stalls: StallMonitor;
  /** The thread the steps' driver runs on. */
  readonly generator: GeneratorThread;
  readonly plan: BenchPlan;
  /** X_max of the saturation sweep: the rates are fractions of it. */
  readonly xMaxRps: number;
  readonly slo: BenchSlo;
  readonly gates: RunGates;
  readonly seed: number;
  readonly arrivals: 'poisson' | 'uniform';
  readonly connections: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly progress: (event: BenchProgress) => void;
  /** The progress phase. Default `open`; `request-pod` for the recommended pod's sweep (request-pod.ts). */
  readonly phase?: 'open' | 'request-pod';
  /**
   * Whether a repetition at a lower rate than the process was offered gets a fresh one first.
   * Default true: each step's peak RSS sizes the memory request. The request pod's sweep sizes no
   * memory, so it keeps the process (a fresh one is still started after an overload).
   */
  readonly freshBeforeLowerRate?: boolean;
}

/** What the open sweep measured. */
export interface OpenSweep {
  /** Every repetition by offered rate (spoiled ones replaced by their re-measurement). */
  readonly records: ReadonlyMap<number, readonly OpenRunRecord[]>;
  /** The steps as the results file has them, by rate. */
  readonly steps: readonly BenchOpenStep[];
  readonly remeasured: readonly BenchRemeasured[];
  /** Repetitions still spoiled by the generator when the re-measure budget was spent. */
  readonly stillSpoiled: number;
  /** Times the server was replaced by a fresh process: before a repetition below a rate it had served, and after one that overloaded it. */
  readonly freshServers: number;
  /** Fresh servers whose warm-up ended with V8's background threads still busy (target.ts). */
  readonly unsettledWarmups: number;
}

/** How a progress line announces a fresh server process. */
const FRESH_SERVER = 'fresh server process';

/** Seeds of the phases' shuffles, so one phase's order does not depend on another's. */
const PHASE = { coarse: 1, refine: 2, lower: 3 } as const;
/** More rates measured where the boundary fell between two coarse steps. */
const REFINE_COUNT = 2;
/** How many times the lowest rate may be halved when it fails the SLO: down to 1/8 of it. */
const LOWER_HALVINGS = 3;

/** Where the sweep is: repetitions measured, servers replaced, and the highest rate offered to the current server process. */
interface SweepState {
  done: number;
  freshServers: number;
  unsettledWarmups: number;
  highestRateOnProcessRps: number;
}

/** Runs the open sweep. */
export async function runOpenSweep(o: OpenSweepOptions): Promise<OpenSweep> {
  const { plan, gates } = o;
  const records = new Map<number, OpenRunRecord[]>();
  // Not X_max: the saturation sweep's closed loop holds at most its connections' requests at once,
  // and the first open steps on its process held the RSS of a fresh one (82-90 MiB, set 12). The
  // generator's warm-up then sets it.
  const state: SweepState = { done: 0, freshServers: 0, unsettledWarmups: 0, highestRateOnProcessRps: 0 };
  const summarize = (): BenchOpenStep[] => [...records.keys()].sort((a, b) => a - b).map((rate) => summarizeOpenStep(records.get(rate)!, o.slo));
  const coarse = [...new Set(plan.rateFractions.map((f) => Math.max(1, Math.round(o.xMaxRps * f))))];
  await warmUpGenerator(o, state, (coarse.length + REFINE_COUNT) * plan.repetitions);
  await sweepRates(o, records, state, coarse, 'coarse', (coarse.length + REFINE_COUNT) * plan.repetitions);
  // Spoiled repetitions are measured again before refining, so the refinement brackets the
  // server's boundary rather than a generator hiccup; what the refinement itself spoils gets
  // the rest of the budget.
  const remeasured = await remeasureSpoiled(o, records, state, plan.retries);
  remeasured.push(...(await sweepBelow(o, records, state, Math.min(...coarse) / 2 ** LOWER_HALVINGS, summarize, plan.retries - remeasured.length)));
  const refine = refineRates(summarize(), o.slo, gates.minAchievedRatio, REFINE_COUNT);
  if (refine.length > 0) await sweepRates(o, records, state, refine, 'refine', state.done + refine.length * plan.repetitions);
  remeasured.push(...(await remeasureSpoiled(o, records, state, plan.retries - remeasured.length)));
  const stillSpoiled = [...records.values()]
    .filter((list) => !list.some((r) => serverFellShort(r, gates)))
    .flat()
    .filter((r) => spoiledByGenerator(r, o.slo) !== null).length;
  return { records, steps: summarize(), remeasured, stillSpoiled, freshServers: state.freshServers, unsettledWarmups: state.unsettledWarmups };
}

/** Requests the generator thread's warm-up sends (see {@link warmUpGenerator}). */
const GENERATOR_WARMUP_REQUESTS = 30_000;

/**
 * Warms up the generator's thread before the first step: its code starts cold, and in 4 s windows
 * at 4,000 req/s its first two (32,000 requests) had p99 71-111 ms and then 20-21 ms, against
 * 2.0-21.8 ms after (docs/BENCHMARKS.md set 14). About 30,000 requests (40% of X_max for 4-12 s,
 * so exactly 30,000 between 2,500 and 7,500 req/s) go to the process the sweep starts with and are
 * discarded; that process counts as offered the rate, so any step below it gets a fresh one.
 */
async function warmUpGenerator(o: OpenSweepOptions, state: SweepState, steps: number): Promise<void> {
  const rate = Math.max(1, Math.round(0.4 * o.xMaxRps));
  const seconds = Math.min(12, Math.max(4, GENERATOR_WARMUP_REQUESTS / rate));
  if (o.signal?.aborted) throw new AbortedError('bench aborted');
  o.progress({ phase: o.phase ?? 'open', step: 0, steps, message: `warming up the generator thread: ${rate} req/s for ${seconds.toFixed(1)} s (discarded)` });
  await o.generator.run({ url: o.target.url, rateRps: rate, warmupSeconds: 0, durationSeconds: seconds, connections: o.connections, timeoutMs: o.timeoutMs, signal: o.signal });
  state.highestRateOnProcessRps = rate;
}

/**
 * While no step meets the SLO on its merged percentile, measures half the lowest rate, down to
 * `floorRps`; what the generator spoiled at the new rate is measured again first (from `budget`),
 * so a generator hiccup does not send the sweep lower. A full run on a VM whose host stole a large
 * share of the server's core failed the SLO at every rate down to 5% of X_max and ended without a
 * recommendation (docs/BENCHMARKS.md, set 10); a lower rate that passes is what such a run can
 * still vouch for. Returns the re-measurements.
 */
async function sweepBelow(o: OpenSweepOptions, records: Map<number, OpenRunRecord[]>, state: SweepState, floorRps: number, summarize: () => BenchOpenStep[], budget: number): Promise<BenchRemeasured[]> {
  const notes: BenchRemeasured[] = [];
  for (let rate = rateBelow(summarize(), o.slo, o.gates.minAchievedRatio, floorRps); rate !== null; rate = rateBelow(summarize(), o.slo, o.gates.minAchievedRatio, floorRps)) {
    await sweepRates(o, records, state, [rate], 'lower', state.done + o.plan.repetitions);
    notes.push(...(await remeasureSpoiled(o, records, state, budget - notes.length)));
  }
  return notes;
}

/** Measures every repetition of `rates`, in a seeded random order. */
async function sweepRates(o: OpenSweepOptions, records: Map<number, OpenRunRecord[]>, state: SweepState, rates: readonly number[], phase: keyof typeof PHASE, total: number): Promise<void> {
  const { plan } = o;
  const order = rates.flatMap((rate) => Array.from({ length: plan.repetitions }, (_, rep) => ({ rate, rep })));
  shuffle(order, createRandom(deriveSeed(o.seed, PHASE[phase])));
  const label = { coarse: 'open model', refine: 'refine', lower: 'half the lowest rate:' }[phase];
  for (const { rate, rep } of order) {
    state.done += 1;
    announce(o, state.done, total, `${label} ${rate} req/s (rep ${rep + 1}/${plan.repetitions})`);
    const record = await measureRepetition(o, state, rate, deriveSeed(o.seed, rate, rep, 0), state.done, total);
    records.set(rate, [...(records.get(rate) ?? []), record]);
  }
}

/**
 * Measures again, lowest rate first, the repetitions that only the generator spoiled, replacing
 * them in `records`, until none is left or `budget` re-measurements are spent (a repetition that
 * fails again may be tried again). Rates at which the server already fell short in some
 * repetition are skipped: that step is out of the SLO range whatever the retry shows. Returns what
 * was re-measured and why, for the report.
 */
async function remeasureSpoiled(o: OpenSweepOptions, records: Map<number, OpenRunRecord[]>, state: SweepState, budget: number): Promise<BenchRemeasured[]> {
  const notes: BenchRemeasured[] = [];
  const attempts = new Map<string, number>();
  while (notes.length < budget) {
    const spoiled = [...records.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, list]) => !list.some((record) => serverFellShort(record, o.gates)))
      .flatMap(([rate, list]) => list.map((record, rep) => ({ rate, rep, why: spoiledByGenerator(record, o.slo) })))
      .filter((x): x is { rate: number; rep: number; why: string } => x.why !== null)
      .slice(0, budget - notes.length);
    if (spoiled.length === 0) break;
    for (const [k, { rate, rep, why }] of spoiled.entries()) {
      state.done += 1;
      const attempt = (attempts.get(`${rate}/${rep}`) ?? 0) + 1;
      attempts.set(`${rate}/${rep}`, attempt);
      announce(o, k + 1, spoiled.length, `re-measure ${rate} req/s (${why})`);
      records.get(rate)![rep] = await measureRepetition(o, state, rate, deriveSeed(o.seed, rate, rep, attempt), k + 1, spoiled.length);
      notes.push({ offeredRps: rate, reason: why });
    }
  }
  return notes;
}

function announce(o: OpenSweepOptions, step: number, steps: number, what: string): void {
  if (o.signal?.aborted) throw new AbortedError('bench aborted');
  o.progress({ phase: o.phase ?? 'open', step, steps, message: `${what}, ${o.plan.openWarmupSeconds}s warm-up + ${o.plan.openSeconds}s` });
}

/**
 * One repetition, its progress line and the cool-down after it. A repetition never runs on a
 * process that was offered a higher rate: the heap a higher rate grew stays, and the step's peak
 * RSS, which sizes the memory request, would be that rate's (three quick runs put the request at
 * 160/144/120 MiB, from low steps that ran after high ones at 112-128 MiB, against 82-90 MiB
 * before any higher rate). After a repetition that overloaded the server (it fell short, or
 * requests timed out), the server is replaced too, so the backlog it holds is not collected
 * during the next step's window (where its GC, four times longer under a quarter-core quota,
 * showed as p99 spikes at low rates).
 */
async function measureRepetition(o: OpenSweepOptions, state: SweepState, rate: number, seed: number, step: number, steps: number): Promise<OpenRunRecord> {
  const { plan } = o;
  if ((o.freshBeforeLowerRate ?? true) && rate < state.highestRateOnProcessRps) await replaceServer(o, state, step, steps, `before ${rate} req/s: the process served ${state.highestRateOnProcessRps} req/s`);
  const record = await measureOpenStep(o.target, o.stalls, o.generator, {
    rate,
    seed,
    warmupSeconds: plan.openWarmupSeconds,
    durationSeconds: plan.openSeconds,
    arrivals: o.arrivals,
    connections: o.connections,
    timeoutMs: o.timeoutMs,
    sloBoundUs: o.slo.latencyMs * 1000,
    signal: o.signal,
  });
  const p = record.run;
  const gc = record.serverGc ? `, server GC max ${record.serverGc.maxMs.toFixed(1)} ms` : '';
  o.progress({
    phase: o.phase ?? 'open',
    step,
    steps,
    message: `  achieved ${Math.round(p.achievedRps)} req/s, p${o.slo.percentile} ${(percentileUs(p.response, o.slo.percentile) / 1000).toFixed(2)} ms, errors ${p.errors}, send lag p99 ${(percentileUs(p.sendLag, 99) / 1000).toFixed(2)} ms, GC max ${p.gcMaxPauseMs.toFixed(1)} ms${gc}, stalls ${Math.round(record.machineStallMs ?? 0)} ms`,
  });
  state.highestRateOnProcessRps = Math.max(state.highestRateOnProcessRps, rate);
  if (serverFellShort(record, o.gates) || p.timeouts > 0) await replaceServer(o, state, step, steps, `after ${rate} req/s overloaded it`);
  await new Promise((resolve) => setTimeout(resolve, plan.coolDownSeconds * 1000));
  return record;
}

/** A fresh server process, when the bench started the server (a URL it did not start is kept), with a progress line saying why. */
async function replaceServer(o: OpenSweepOptions, state: SweepState, step: number, steps: number, why: string): Promise<void> {
  const warmup = await o.target.fresh(o.signal);
  if (warmup === null) return;
  const threads = warmup.settled === null ? "; V8's background threads not visible" : warmup.settled ? '' : "; V8's background threads still busy";
  o.progress({ phase: o.phase ?? 'open', step, steps, message: `  ${FRESH_SERVER} (${why}; warmed up with ${warmup.requests} requests${threads})` });
  if (warmup.settled === false) state.unsettledWarmups += 1;
  state.freshServers += 1;
  state.highestRateOnProcessRps = 0;
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
