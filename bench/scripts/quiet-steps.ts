// `npm run build && node dist/bench/scripts/quiet-steps.js [--max-steal 0.01] [--max-fraction 0.8] FILE...`:
// the open-model steps of bench results files, with the host's steal on the server's core, the
// server's longest GC pause and its peak RSS beside each step's SLO verdict (on the side that protects it, as the
// refinement judges). On a VM whose host steals time, only the quiet steps (steal at most
// --max-steal, rate at most --max-fraction of X_max) say something about the server itself; the
// summary gives how many of those failed and the median longest GC pause of the quiet passing and
// failing steps, over all steps the median steal of passing and failing ones, and the server's GC
// time per 1,000 requests at rates up to --max-fraction of X_max (whatever the steal: a pause
// stretched by the host is time the requests waited all the same; a step's GC total is its worst
// repetition's, so it is set against one repetition's requests).
// docs/BENCHMARKS.md (sets 10 to 12) quotes its output. It reads files; it asserts nothing.
import { parseArgs } from 'node:util';
import { DEFAULT_GATES, meetsSlo, readBenchResults, spreadOf, type BenchOpenStep } from '../index.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'max-steal': { type: 'string', default: '0.01' }, 'max-fraction': { type: 'string', default: '0.8' } } });
const maxSteal = Number(values['max-steal']);
const maxFraction = Number(values['max-fraction']);

const median = (xs: readonly number[], digits = 1): string => (xs.length === 0 ? '-' : spreadOf(xs).median.toFixed(digits));
const quiet = { passing: [] as number[], failing: [] as number[] };
const stealByVerdict = { passing: [] as number[], failing: [] as number[] };
const gcPerThousand: number[] = [];
for (const file of positionals) {
  const results = await readBenchResults(file);
  const { saturation, openModel } = results.measurements;
  console.log(`${file}: X_max ${Math.round(saturation.maxRps)} req/s`);
  for (const step of [...openModel.steps].sort((a, b) => a.offeredRps - b.offeredRps)) {
    const verdict = meetsSlo(step, results.recommendation.slo, DEFAULT_GATES.minAchievedRatio, 'high') ? 'passing' : 'failing';
    const steal = step.stealShare ?? null;
    if (steal !== null) stealByVerdict[verdict].push(100 * steal);
    const isQuiet = steal !== null && steal <= maxSteal && step.offeredRps <= maxFraction * saturation.maxRps;
    if (isQuiet && typeof step.serverGcMaxPauseMs === 'number') quiet[verdict].push(step.serverGcMaxPauseMs);
    if (step.offeredRps <= maxFraction * saturation.maxRps && typeof step.serverGcTotalMs === 'number' && step.requests > 0) gcPerThousand.push((1000 * step.serverGcTotalMs) / (step.requests / step.repetitions));
    console.log(`  ${String(step.offeredRps).padStart(6)} req/s  ${verdict}  steal ${steal === null ? '-' : (100 * steal).toFixed(1)}%  server GC max ${gcOf(step)} ms  peak RSS ${typeof step.serverPeakRssMiB === 'number' ? step.serverPeakRssMiB.toFixed(0) : '-'} MiB${isQuiet ? '  quiet' : ''}`);
  }
}
const quietCount = quiet.passing.length + quiet.failing.length;
console.log(`quiet steps: ${quietCount}, failing ${quiet.failing.length}; longest server GC pause, median: passing ${median(quiet.passing)} ms, failing ${median(quiet.failing)} ms`);
console.log(`all steps: ${stealByVerdict.passing.length} passing at a median steal of ${median(stealByVerdict.passing)}%, ${stealByVerdict.failing.length} failing at ${median(stealByVerdict.failing)}%`);
console.log(`server GC per 1,000 requests, ${gcPerThousand.length} steps up to ${maxFraction} X_max: median ${median(gcPerThousand, 2)} ms`);

function gcOf(step: BenchOpenStep): string {
  return typeof step.serverGcMaxPauseMs === 'number' ? step.serverGcMaxPauseMs.toFixed(1) : '-';
}
