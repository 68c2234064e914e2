// The machine-speed check of `bench --compare`: the server's CPU and its ratio to the generator's,
// read at three rates every run measured below its capacity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkMachineSpeed, type BenchResults } from '../../bench/index.js';
import { runAt } from './support.js';

const close = (actual: number, expected: number, tolerance = 1e-9): void => assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

type Step = { offeredRps: number; achievedRps: number; serverCpuCores: number; serverCpuCoresPerRepetition: number[]; timeouts: number; valid: boolean; generator: { cpuCores: number } };
type Editable = { measurements: { openModel: { steps: Step[] } }; recommendation: { intermediates: Record<string, number | null> }; environment: Record<string, unknown> };
const edit = (r: BenchResults): Editable => r as unknown as Editable;

test('runs on different grids are read at rates inside their common range, between the steps around each', () => {
  // Common range 1500-4000 req/s; the reads at 1500 * (8/3)^(1/4, 1/2, 3/4).
  const m = checkMachineSpeed([runAt(1), runAt(1.3, 1, [1500, 3000, 6000])])!;
  const rates = [0.25, 0.5, 0.75].map((q) => 1500 * (4000 / 1500) ** q);
  assert.deepEqual(m.atRps, [1917, 2449, 3130]);
  const server = (rps: number): number => 0.02 + 30e-6 * rps;
  const generator = (rps: number): number => 0.05 + 50e-6 * rps;
  const sum = (f: (rps: number) => number): number => rates.reduce((a, r) => a + f(r), 0);
  close(m.serverCpuCores[0]!, sum(server) / 3);
  close(m.serverCpuCores[1]!, (1.3 * sum(server)) / 3);
  close(m.serverToGeneratorCpu[0]!, sum(server) / sum(generator));
  close(m.serverToGeneratorCpu[1]!, m.serverToGeneratorCpu[0]!);
  // Not linear between steps: a step off the line moves the reads around it, in proportion.
  const bent = runAt(1, 1, [1000, 2000, 4000]);
  edit(bent).measurements.openModel.steps[1]!.serverCpuCores = 0.1; // 0.08 on the line
  const read = checkMachineSpeed([runAt(1), bent])!;
  // Reads at 1414, 2000 and 2828: all of the bend (0.02) at 2000, 0.4142 of it at 1414, 0.5858 at 2828.
  close(read.serverCpuCores[1]! - read.serverCpuCores[0]!, (0.02 * (1 + (1000 * Math.SQRT2 - 1000) / 1000 + (4000 - 2000 * Math.SQRT2) / 2000)) / 3, 1e-12);
});

test('steps above lambda_cap, with timeouts, or short of their rate are left out', () => {
  // The other run measured up to 8000 req/s too, so a kept step at 8000 would be read.
  const other = runAt(1, 1, [1000, 2000, 4000, 8000]);
  const without = checkMachineSpeed([other, runAt(1)]);
  const withStepAt8000 = (spoil: (s: Step) => void, capRps: number | null = null): BenchResults => {
    const r = runAt(1, 1, [1000, 2000, 4000, 8000]);
    const step = edit(r).measurements.openModel.steps[3]!;
    step.serverCpuCores = 0.1; // where a quota flattened it
    step.serverCpuCoresPerRepetition = [0.1];
    spoil(step);
    if (capRps !== null) edit(r).recommendation.intermediates.lambdaCapPointRps = capRps;
    return r;
  };
  assert.deepEqual(checkMachineSpeed([other, withStepAt8000(() => {}, 4000)]), without);
  assert.deepEqual(checkMachineSpeed([other, withStepAt8000((s) => (s.timeouts = 3))]), without);
  assert.deepEqual(checkMachineSpeed([other, withStepAt8000((s) => (s.achievedRps = 0.9 * s.offeredRps))]), without);
  assert.deepEqual(checkMachineSpeed([other, withStepAt8000((s) => (s.valid = false))]), without);
  assert.deepEqual(checkMachineSpeed([other, withStepAt8000((s) => (s.generator = { ...s.generator, cpuCores: 0 }))]), without);
  // A file from before the merged percentiles' lambda_cap was recorded: the protective side's.
  const older = withStepAt8000(() => {});
  edit(older).recommendation.intermediates.lambdaCapPointRps = null;
  edit(older).recommendation.intermediates.lambdaCapRps = 4000;
  assert.deepEqual(checkMachineSpeed([other, older]), without);
  // Kept, it is read: the assertions above can fail.
  assert.notDeepEqual(checkMachineSpeed([other, withStepAt8000(() => {})]), without);
});

test('no check without a wide enough common range, two usable steps in every run, or the same generator', () => {
  assert.equal(checkMachineSpeed([runAt(1, 1, [1000, 2000]), runAt(1, 1, [3000, 4000])]), null);
  // 2000-2900 req/s: less than 1.5 times.
  assert.equal(checkMachineSpeed([runAt(1, 1, [1000, 2900]), runAt(1, 1, [2000, 4000])]), null);
  assert.ok(checkMachineSpeed([runAt(1, 1, [1000, 3000]), runAt(1, 1, [2000, 4000])]) !== null);
  // One usable step (the others timed out), or no lambda_cap to bound them.
  const oneUsable = runAt(1, 1, [1000, 2000, 4000]);
  edit(oneUsable).measurements.openModel.steps.slice(1).forEach((step) => (step.timeouts = 1));
  assert.equal(checkMachineSpeed([runAt(1), oneUsable]), null);
  const noCap = runAt(1);
  edit(noCap).recommendation.intermediates = {};
  assert.equal(checkMachineSpeed([runAt(1), noCap]), null);
  assert.equal(checkMachineSpeed([runAt(1)]), null);
  const onThread = runAt(1);
  edit(onThread).environment.generatorNewSpaceMiB = 4;
  assert.equal(checkMachineSpeed([runAt(1), onThread]), null);
  assert.ok(checkMachineSpeed([onThread, onThread]) !== null);
});
