/**
 * Presenting a bench run: the terminal report (plain text) and the files (results JSON and the
 * SVG plot). Rendering returns strings; only `writeBenchFiles` touches the disk.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderLatencyPlot } from './plot.js';
import type { BenchComparison } from './compare.js';
import type { BenchOpenStep, BenchResults } from './contract.js';
import type { BenchMeasuredRun } from './run.js';

/** Paths written by {@link writeBenchFiles}. */
export interface BenchFiles {
  readonly results: string;
  readonly plot: string;
}

/**
 * Writes what a run that could not recommend measured, as `bench-<mode>-<time>.invalid.json`
 * (`recommendation: null`; not a results file, readBenchResults refuses it) and its plot.
 */
export async function writeMeasuredRun(measured: BenchMeasuredRun, dir: string): Promise<BenchFiles> {
  await mkdir(dir, { recursive: true });
  const stamp = measured.createdAt.replace(/[:.]/g, '-');
  const files = { results: join(dir, `bench-${measured.mode}-${stamp}.invalid.json`), plot: join(dir, `bench-${measured.mode}-${stamp}.invalid.svg`) };
  await writeFile(files.results, `${JSON.stringify({ ...measured, recommendation: null }, null, 2)}\n`);
  await writeFile(files.plot, renderLatencyPlot(measured));
  return files;
}

/** Writes `results.json` and `latency.svg` under `dir` (created if missing), named by time. */
export async function writeBenchFiles(results: BenchResults, dir: string): Promise<BenchFiles> {
  await mkdir(dir, { recursive: true });
  const stamp = results.createdAt.replace(/[:.]/g, '-');
  const files = { results: join(dir, `bench-${results.mode}-${stamp}.json`), plot: join(dir, `bench-${results.mode}-${stamp}.svg`) };
  await writeFile(files.results, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(files.plot, renderLatencyPlot(results));
  return files;
}

const ms = (us: number): string => (us / 1000).toFixed(2);
const n = (x: number | null | undefined, d = 2): string => (x === null || x === undefined ? '-' : x.toFixed(d));
/** A step's steal share as the tables show it: percent, or "-" when not recorded. */
const stealPercent = (share: number | null | undefined): string => n(share === null || share === undefined ? share : 100 * share, 1);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** The measurement part of the report (environment, both sweeps, run checks). */
export function renderMeasurements(results: BenchMeasuredRun, sloPercentile: number): string {
  const { measurements: m, environment: env } = results;
  const out: string[] = [];
  out.push(`hello-edge bench (${results.mode}) against ${results.target.url}${results.target.startedByBench ? ` (started by the bench${results.target.nodeFlags?.length ? `, node ${results.target.nodeFlags.join(' ')}` : ''})` : ''}`);
  out.push(
    `node ${env.node}, ${env.cpus} x ${env.cpuModel}; server CPU ${env.serverCpus ?? 'not pinned'}, generator CPU ${env.generatorCpus ?? 'not pinned'}${env.generatorNewSpaceMiB ? ` (on a worker thread, new space ${env.generatorNewSpaceMiB} MiB)` : ' (on the main thread)'}, quota ${env.serverCpuQuotaMillicores === null ? 'none' : `${env.serverCpuQuotaMillicores}m per ${env.serverCpuQuotaPeriodMs ?? 100} ms`}; load before ${env.loadAverageBefore.toFixed(2)}`,
  );
  out.push('');
  out.push(`Saturation (closed loop, autocannon; throughput and CPU only): X_max ${Math.round(m.saturation.maxRps)} req/s, limited by ${m.saturation.limitedBy}, server CPU ${n(m.saturation.cpuUsPerRequest, 1)} us/request`);
  out.push(
    table(
      ['conns', 'req/s', 'server cores', 'autocannon cores', 'steal %', 'errors', 'note'],
      m.saturation.steps.map((s) => [String(s.connections), String(Math.round(s.rps)), n(s.serverCpuCores), n(s.generatorCpuCores), stealPercent(s.stealShare), String(s.errors + s.timeouts), s.problems.join('; ')]),
    ),
  );
  out.push('');
  const p = sloPercentile;
  out.push(`Open model (${m.openModel.arrivals} arrivals, seed ${m.openModel.seed}, ${m.openModel.warmupSeconds}s warm-up + ${m.openModel.durationSeconds}s per step; latency from the intended send time):`);
  out.push(openStepTable(m.openModel.steps, p));
  out.push(...stepProblems(m.openModel.steps));
  if (m.openModel.freshServers) out.push(`  The server was replaced by a fresh process ${m.openModel.freshServers} time(s), so that no step ran on a process a higher rate or an overload had grown.`);
  if (m.openModel.unsettledWarmups) out.push(`  ${m.openModel.unsettledWarmups} of them still compiled in V8's background threads when their warm-up ended.`);
  const own = m.requestPod;
  if (own) {
    out.push('');
    // A run without a recommendation has no requestPod either (it is measured for the first one).
    const used = (results as Partial<BenchResults>).recommendation?.intermediates.podSloCapacityMeasuredRps;
    const read = typeof used === 'number' ? `its SLO capacity, ${Math.round(used)} req/s, is read from these steps` : 'not used: the recommendation is for another size, or no step was valid or met the SLO (see the warnings)';
    out.push(`The recommended pod, under a ${own.cpuQuotaMillicores}m quota, at rates around the ${Math.round(own.predictedSloCapacityRps)} req/s its CPU line predicts (${read}):`);
    out.push(openStepTable(own.steps, p));
    out.push(...stepProblems(own.steps));
    if (own.freshServers) out.push(`  Its server was replaced by a fresh process ${own.freshServers} time(s), after overloads.`);
    if (own.unsettledWarmups) out.push(`  ${own.unsettledWarmups} of its warm-ups ended with V8's background threads still compiling.`);
  }
  out.push('');
  out.push(results.validity.valid ? 'Run checks: all passed.' : `Run checks: ${results.validity.problems.length} problem(s):`);
  for (const problem of results.validity.problems) out.push(`  - ${problem}`);
  return out.join('\n');
}

/** A line for each step with problems. */
function stepProblems(steps: readonly BenchOpenStep[]): string[] {
  return steps.filter((st) => st.problems.length > 0).map((s) => `  ${s.offeredRps} req/s${s.valid ? '' : ' invalid'}: ${s.problems.join('; ')}`);
}

/** The open-model steps as a table, one row per offered rate. */
function openStepTable(steps: readonly BenchOpenStep[], p: number): string {
  return table(
    ['offered', 'achieved', 'reps', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', `p${p} interval ms`, 'errors', 'server cores', 'server GC ms', 'other cores', 'steal %', 'stalls ms', 'valid'],
    [...steps]
      .sort((a, b) => a.offeredRps - b.offeredRps)
      .map((s) => [
        String(s.offeredRps),
        String(Math.round(s.achievedRps)),
        String(s.repetitions),
        ms(s.latencyUs.p50),
        ms(s.latencyUs.p90),
        ms(s.latencyUs.p99),
        ms(s.latencyUs.p999),
        ms(s.latencyUs.max),
        s.sloLatency ? `${ms(s.sloLatency.lowUs)}-${ms(s.sloLatency.highUs)}` : '-',
        String(s.errors),
        n(s.serverCpuCores),
        n(s.serverGcMaxPauseMs, 1),
        n(s.otherCpuCores),
        stealPercent(s.stealShare),
        s.machineStallMs === undefined || s.machineStallMs === null ? '-' : String(Math.round(s.machineStallMs)),
        s.valid ? 'yes' : 'NO',
      ]),
  );
}

/** The human-readable report of a run. */
export function renderBenchReport(results: BenchResults, files?: BenchFiles): string {
  const rec = results.recommendation;
  const p = rec.slo.percentile;
  const out: string[] = [renderMeasurements(results, p), ''];
  if (!results.validity.valid) {
    const valid = results.measurements.openModel.steps.filter((st) => st.valid).length;
    out.push(`!! This run did not pass its checks: the recommendation below comes from ${valid} valid open-model step(s) of ${results.measurements.openModel.steps.length} and must not be trusted until a clean run confirms it.`);
  }
  out.push(`Recommendation for SLO p${p} <= ${rec.slo.latencyMs} ms, errors <= ${(rec.slo.errorBudgetFraction * 100).toFixed(2)}%:`);
  const r = rec.resources;
  out.push(`  resources: cpu request ${r.cpuRequestMillicores}m, cpu limit ${r.cpuLimitMillicores === null ? 'none' : `${r.cpuLimitMillicores}m`}, memory ${r.memoryRequestMiB === r.memoryLimitMiB ? `${r.memoryRequestMiB}Mi (request = limit)` : `request ${r.memoryRequestMiB}Mi, limit ${r.memoryLimitMiB}Mi`}`);
  out.push(`  HPA: min ${rec.hpa.minReplicas}, max ${rec.hpa.maxReplicas}, target CPU ${rec.hpa.targetCPUUtilizationPercentage}%`);
  const up = rec.hpa.behavior.scaleUp;
  const down = rec.hpa.behavior.scaleDown;
  out.push(`  scaleUp: window ${up.stabilizationWindowSeconds}s, ${up.selectPolicy} of ${up.policies.map((x) => `${x.value}${x.type === 'Percent' ? '%' : ' pods'}/${x.periodSeconds}s`).join(', ')}`);
  out.push(`  scaleDown: window ${down.stabilizationWindowSeconds}s, ${down.selectPolicy} of ${down.policies.map((x) => `${x.value}${x.type === 'Percent' ? '%' : ' pods'}/${x.periodSeconds}s`).join(', ')}`);
  out.push(`  RPS autoscalers: target ${rec.rps.targetPerPod} req/s per pod (SLO capacity ${rec.rps.sloCapacityPerPod}, ${rec.rps.targetUtilizationPercent}%)`);
  const intervals = Object.entries(rec.intervals ?? {}).filter(([, v]) => v.low !== v.high);
  if (intervals.length > 0) {
    out.push(`  on the capacity's whole interval (the values above are its side that protects the SLO): ${intervals.map(([k, v]) => `${k} ${v.low}..${v.high} (merged ${v.point})`).join('; ')}`);
  }
  const spread = Object.entries(rec.spread);
  if (spread.length > 0) {
    const g = (x: number): string => String(Number(x.toPrecision(3)));
    out.push(`  spread over repetitions: ${spread.map(([k, v]) => `${k} ${g(v.min)}..${g(v.max)} (median ${g(v.median)}, n=${v.samples})`).join('; ')}`);
  }
  out.push('');
  out.push('Reasoning:');
  rec.reasoning.forEach((line, i) => out.push(`  ${i + 1}. ${line}`));
  if (rec.warnings.length > 0) {
    out.push('Warnings:');
    for (const w of rec.warnings) out.push(`  ! ${w}`);
  }
  if (files) {
    out.push('');
    out.push(`Results: ${files.results}`);
    out.push(`Plot:    ${files.plot}`);
  }
  return out.join('\n');
}

/** The comparison of several runs' recommendations, as a table with a verdict. */
export function renderComparison(comparison: BenchComparison, files: readonly string[]): string {
  const out: string[] = [];
  out.push(`Comparing ${files.length} run(s): ${files.join(', ')}`);
  out.push(
    table(
      ['value', ...files.map((_, i) => `run ${i + 1}`), 'median', 'spread', `within ${comparison.tolerance * 100}%`, 'intervals overlap'],
      comparison.values.map((v) => [
        v.name,
        ...v.values.map((x) => String(Math.round(x * 100) / 100)),
        String(Math.round(v.median * 100) / 100),
        `${(v.spread * 100).toFixed(1)}%`,
        v.withinTolerance ? 'yes' : 'NO',
        v.intervalsOverlap === null ? '-' : v.intervalsOverlap ? 'yes' : 'no',
      ]),
    ),
  );
  out.push('');
  out.push(comparison.agree ? `The recommendations agree within ${comparison.tolerance * 100}%.` : `The recommendations do NOT agree within ${comparison.tolerance * 100}%.`);
  const cpu = comparison.cpuUsPerRequest;
  if (cpu.values.length > 0) {
    out.push(`Machine speed: the server's CPU per request at X_max was ${cpu.values.map((x) => x.toFixed(1)).join(' / ')} us (${(cpu.spread * 100).toFixed(1)}% apart).`);
  }
  const speed = comparison.machineSpeed;
  if (speed !== null) {
    const list = (xs: readonly number[], digits: number): string => xs.map((x) => x.toFixed(digits)).join(' / ');
    out.push(
      `Machine speed beside the generator: at ${speed.atRps.join(', ')} req/s the server used ${list(speed.serverCpuCores, 3)} cores on average (${(speed.serverSpread * 100).toFixed(1)}% apart), ${list(speed.serverToGeneratorCpu, 2)} times the generator's CPU (${(speed.ratioSpread * 100).toFixed(1)}% apart).`,
    );
  }
  if (comparison.hostSteal.some((x) => x !== null)) {
    const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
    out.push(`Host steal on the server's core, per open-model step (median / worst): ${comparison.hostSteal.map((h, i) => `run ${i + 1} ${h === null ? 'not recorded' : `${pct(h.median)} / ${pct(h.max)}`}`).join(', ')}.`);
    out.push(`Host steal during the run that set X_max: ${comparison.hostSteal.map((h, i) => `run ${i + 1} ${h === null || h.atXMax === null ? 'not recorded' : pct(h.atXMax)}`).join(', ')}.`);
  }
  if (comparison.runProblems.length > 0) {
    out.push('Run checks that failed (the likely reasons for any disagreement):');
    for (const p of comparison.runProblems) out.push(`  - ${p}`);
  }
  for (const n of comparison.noise) out.push(`  - ${n}`);
  return out.join('\n');
}
