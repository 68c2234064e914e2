// recommend() on fixture measurements, with expected outputs worked out by hand (the working is
// in the comments, so a reader can check it without running anything).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { recommend, type RecommendMeasurements } from '../../../bench/index.js';

const fixtures = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../../test/fixtures/bench/recommend-measurements.json', import.meta.url)), 'utf8'),
) as Record<string, RecommendMeasurements>;

const slo = { percentile: 99, latencyMs: 10, errorBudgetFraction: 0.001 };
const close = (actual: number | null | undefined, expected: number, tolerance = 0.01): void => {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= tolerance, `expected ${expected} +- ${tolerance}, got ${actual}`);
};

/** basic's latency curve under a CPU quota, with the server's CPU at each rate from `coresAt`. */
const underQuota = (quotaMillicores: number, coresAt: (rps: number) => number): RecommendMeasurements => ({
  ...fixtures.basic!,
  serverCpuQuotaMillicores: quotaMillicores,
  openSteps: fixtures.basic!.openSteps.map((s) => ({ ...s, serverCpuCores: coresAt(s.offeredRps), serverCpuCoresPerRepetition: [coresAt(s.offeredRps)] })),
});

test('basic curve: SLO crossing interpolated, knee wins, HPA from defaults', () => {
  const r = recommend(fixtures.basic!, { slo, peakRps: 10_000 });
  const i = r.intermediates;
  // p99 5 ms at 6000, 40 ms at 8000: log-interpolate to 10 ms -> f = ln2/ln8 = 1/3 -> 6666.67.
  close(i.lambdaSloRps, 6666.667);
  // Kneedle, latency normalised to [1 ms, 40 ms]: d = x_n - y_n = 0, .1377, .4029, .6117, 0 -> 6000.
  assert.equal(i.lambdaKneeRps, 6000);
  assert.equal(i.lambdaCapRps, 6000);
  close(i.cpuCapCores, 0.6, 1e-9);
  // R = ceil50(600m) = 600m, u_max = 1.
  assert.equal(r.resources.cpuRequestMillicores, 600);
  assert.equal(r.resources.cpuLimitMillicores, null);
  close(i.uMax, 1, 1e-9);
  // T_lag = 2*15 + 15 + 15 = 60 s; g = 1.3; u = 1/(1.1*1.3) = 0.6993 -> 69 % (a whole percent, floored).
  assert.equal(i.tLagSeconds, 60);
  close(i.growthFactorOverLag, 1.3, 1e-9);
  close(i.utilizationTargetRaw, 0.699301, 1e-5);
  assert.equal(r.hpa.targetCPUUtilizationPercentage, 69);
  // 0.69 * 0.6 = 0.414 cores: on the line (100 us/req) -> 4140 req/s.
  close(i.ctRps, 4140);
  // min = max(2, ceil(1000/4140), ceil(1000/6000)) = 2. The peak needs N = max(2, ceil(10000*1.2 /
  // (4140*0.9))) = max(2, ceil(3.221)) = 4 pods; max = N + max(1, ceil(0.5*N)) = 4 + 2 = 6.
  assert.equal(r.hpa.maxReplicas, 6);
  assert.equal(r.hpa.minReplicas, 2);
  // g15 = 1.3^0.25 = 1.068 -> 100 %; pods max(4, ceil(2*0.3)) = 4; down window max(300, 120); pods max(2, ceil(0.5)).
  assert.deepEqual(r.hpa.behavior, {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Percent', value: 100, periodSeconds: 15 },
        { type: 'Pods', value: 4, periodSeconds: 15 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Min',
      policies: [
        { type: 'Percent', value: 50, periodSeconds: 60 },
        { type: 'Pods', value: 2, periodSeconds: 60 },
      ],
    },
  });
  // 70 MiB * 1.25 = 87.5 -> 88 MiB (multiple of 8).
  assert.equal(r.resources.memoryRequestMiB, 88);
  assert.equal(r.resources.memoryLimitMiB, 88);
  assert.deepEqual(r.rps, { targetPerPod: 4140, sloCapacityPerPod: 6000, targetUtilizationPercent: 69 });
  assert.deepEqual(r.spread.lambdaCapRps, { min: 6000, median: 6000, max: 6000, samples: 1 });
  assert.ok(r.reasoning.length >= 8);
  assert.deepEqual(r.slo, slo);
});

test('a step that breaks the error budget stops the capacity there, without interpolation', () => {
  // errorsBreak, with 6000 req/s breaking the error budget too (a pass above a failing step would
  // make that step noise: see the next test).
  const m = { ...fixtures.errorsBreak!, openSteps: fixtures.errorsBreak!.openSteps.map((s) => (s.offeredRps === 6000 ? { ...s, errors: 600 } : s)) };
  const r = recommend(m, { slo, peakRps: 10_000 });
  // 4000 req/s has 1% errors > 0.1% -> lambda_slo = 2000; knee 6000; cap 2000; CPU 0.2 -> R 200m.
  assert.equal(r.intermediates.lambdaSloRps, 2000);
  assert.equal(r.intermediates.lambdaCapRps, 2000);
  assert.equal(r.resources.cpuRequestMillicores, 200);
  // 0.69 * 0.2 = 0.138 cores -> 1380 req/s; N = ceil(12000/1242) = 10; max = 10 + 5 = 15.
  close(r.intermediates.ctRps, 1380);
  assert.equal(r.hpa.maxReplicas, 15);
  // Memory not measured: the default, with a warning.
  assert.equal(r.resources.memoryRequestMiB, 128);
  assert.ok(r.warnings.some((w) => /memory was not measured/.test(w)));
  assert.ok(r.reasoning.some((line) => /fails on errors/.test(line)));
});

test('a failing step below a passing one is noise, not the capacity', () => {
  // errorsBreak as it is: 4000 req/s broke the error budget, 6000 met the SLO. Noise only makes a
  // step look worse, so the highest passing step, 6000 (no step above it: a lower bound), is the
  // evidence, and 4000 is named as disturbed.
  const r = recommend(fixtures.errorsBreak!, { slo, peakRps: 10_000 });
  assert.equal(r.intermediates.lambdaSloRps, 6000);
  assert.ok(r.warnings.some((w) => /^Noise detected: the step\(s\) at 4000 req\/s failed the SLO below lambda_slo/.test(w)));
  assert.ok(r.warnings.some((w) => /is a lower bound of the per-pod capacity/.test(w)));
});

test('invalid steps are left out, and an SLO never crossed is called a lower bound', () => {
  const r = recommend(fixtures.withInvalid!, { slo, peakRps: 10_000 });
  // 3000 req/s (invalid, 900 ms) ignored; 1000/2000/4000 all pass -> lambda_slo = 4000 (lower bound).
  assert.equal(r.intermediates.lambdaSloRps, 4000);
  assert.equal(r.intermediates.invalidSteps, 1);
  assert.equal(r.resources.cpuRequestMillicores, 400);
  // 0.69 * 0.4 = 0.276 cores -> 2760 req/s on the line (100 us/req); N = ceil(12000/2484) = 5; max = 5 + 3 = 8.
  close(r.intermediates.ctRps, 2760);
  assert.equal(r.hpa.maxReplicas, 8);
  assert.ok(r.warnings.some((w) => /lower bound of the per-pod capacity/.test(w)));
  assert.ok(r.warnings.some((w) => /limited by the load generator/.test(w)));
  assert.ok(r.warnings.some((w) => /1 of 4 open-model step/.test(w)));
});

test('a step the server could not keep up with is a failing step that brackets the capacity', () => {
  // withInvalid, plus 5000 req/s at which the server achieved only 4000: a measurement of the
  // server (the run checks keep it), which fails on its achieved rate. So lambda_slo = 4000 is no
  // longer a lower bound.
  const base = fixtures.withInvalid!;
  const short = { ...base.openSteps[3]!, offeredRps: 5000, achievedRps: 4000, serverCpuCores: 0.5, serverCpuCoresPerRepetition: [0.5] };
  const r = recommend({ ...base, openSteps: [...base.openSteps, short] }, { slo, peakRps: 10_000 });
  assert.equal(r.intermediates.lambdaSloRps, 4000);
  assert.ok(r.reasoning.some((line) => /the next step, 5000 req\/s, fails on achieved rate/.test(line)));
  assert.ok(!r.warnings.some((w) => /lower bound of the per-pod capacity/.test(w)));
});

test('repetitions: the merged curve takes the worst repetition; the spread analyses each alone', () => {
  const r = recommend(fixtures.twoReps!, { slo, peakRps: 10_000 });
  // Worst p99 at 6000 is 12 ms: f = ln5/ln6 = 0.89824 -> 5796.5 req/s; CPU 0.4 + 0.2*f = 0.5796.
  close(r.intermediates.lambdaCapRps, 5796.48, 0.05);
  close(r.intermediates.cpuCapCores, 0.57965, 1e-4);
  assert.equal(r.resources.cpuRequestMillicores, 600);
  close(r.intermediates.uMax, 0.96608, 1e-4);
  // u = .96608 / 1.43 = .6756 -> 67%; u_t * R = .402 cores.
  assert.equal(r.hpa.targetCPUUtilizationPercentage, 67);
  // The CPU model, Theil-Sen over the six samples up to lambda_cap (1000: .10 .10; 2000: .19 .21;
  // 4000: .38 .42). The twelve slopes between samples at different rates, in us/req: 1000-2000: 90,
  // 90, 110, 110; 1000-4000: 93.33, 93.33, 106.67, 106.67; 2000-4000: 95, 115, 85, 105. Sorted, the
  // middle two are 95 and 105: median 100. The intercepts y - 100e-6 x are 0, 0, -.01, .01, -.02,
  // .02: median 0. The samples scatter around the line: SSE = 2*.01^2 + 2*.02^2 = .001,
  // Syy = .09433 -> R^2 = 1 - .001/.09433 = .9894.
  close(r.intermediates.cpuModelUsPerRequest, 100, 1e-6);
  close(r.intermediates.cpuModelIdleCores, 0, 1e-9);
  assert.equal(r.intermediates.cpuModelSamples, 6);
  close(r.intermediates.cpuModelR2, 0.9894, 1e-4);
  // rep 1: cap 6000 (knee); samples (1000, .10) (2000, .19) (4000, .38) (6000, .58): slopes 90,
  //   93.33, 96, 95, 97.5, 100 -> median (95 + 96)/2 = 95.5 us/req; intercepts .0045, -.001,
  //   -.002, .007 -> median .00175 cores; C_t = (0.402 - .00175) / 95.5e-6 = 4191.1.
  // rep 2: cap 5796.5; samples (1000, .10) (2000, .21) (4000, .42): slopes 110, 106.67, 105 ->
  //   106.67; intercepts -.00667, -.00333, -.00667 -> median below 0 (impossible), so the line
  //   through the origin with the median CPU per request, median(100, 105, 105) = 105 us/req ->
  //   C_t = 0.402 / 105e-6 = 3828.6.
  const s = r.spread;
  close(s.lambdaCapRps!.min, 5796.48, 0.05);
  assert.equal(s.lambdaCapRps!.max, 6000);
  assert.equal(s.lambdaCapRps!.samples, 2);
  close(s.ctRps!.min, 3828.57, 0.05);
  close(s.ctRps!.max, 4191.1, 0.1);
  // N = ceil(12000 / (C_t * 0.9)) = 4 for both, so maxReplicas = 4 + 2 = 6 for both.
  assert.deepEqual([s.maxReplicas!.min, s.maxReplicas!.max], [6, 6]);
});

test('one noisy CPU reading does not move the Theil-Sen line (least squares and interpolation moved C_t)', () => {
  // basic, but the 4000 req/s step read 0.46 cores instead of 0.40 (+15%, a GC pause's worth).
  const noisy = { ...fixtures.basic!, openSteps: fixtures.basic!.openSteps.map((s) => (s.offeredRps === 4000 ? { ...s, serverCpuCores: 0.46, serverCpuCoresPerRepetition: [0.46] } : s)) };
  const r = recommend(noisy, { slo, peakRps: 10_000 });
  const i = r.intermediates;
  // Latency is unchanged, so lambda_cap = 6000 (knee). Samples (1000, .1) (2000, .2) (4000, .46)
  // (6000, .6): the six slopes are 100, 120, 100, 130, 100, 70 us/req -> median 100; the
  // intercepts 0, 0, .06, 0 -> median 0. The reading 15% high moves neither median.
  close(i.cpuModelUsPerRequest, 100, 1e-9);
  close(i.cpuModelIdleCores, 0, 1e-12);
  assert.equal(i.cpuModelSamples, 4);
  // CPU at 6000 = .6 -> R = 600m, u_max = 1, u = 1/1.43 = .699 -> 69%, as without the noise.
  close(i.cpuCapCores, 0.6, 1e-9);
  assert.equal(r.resources.cpuRequestMillicores, 600);
  assert.equal(r.hpa.targetCPUUtilizationPercentage, 69);
  // C_t = .69 * .6 / 100e-6 = 4140 req/s, the noise-free value. The least-squares line through
  // the same samples (103.05 us/req + .005085 cores) puts CPU_cap at .6234 cores: a 650m request,
  // a 67% target and C_t 4177, the noise moving the request by a 50m step; interpolating between
  // the steps put C_t at 2000 + 2000 * (.414 - .2) / (.46 - .2) = 3646 (12% off).
  close(i.ctRps, 4140, 1e-6);
  assert.ok(r.reasoning.some((line) => /Theil-Sen: medians over 4 CPU samples/.test(line)));
});

test('memory: the request covers the operating range, the limit the overload steps too', () => {
  // Per-step peaks: 60 MiB up to 4000 req/s, 70 MiB at 6000 (lambda_cap), 150 MiB in the 8000
  // req/s step beyond it; the run's peak 180 MiB (an overload step not in the valid set).
  const peaks: Record<number, number> = { 1000: 60, 2000: 60, 4000: 60, 6000: 70, 8000: 150 };
  const m = { ...fixtures.basic!, serverPeakRssMiB: 180, openSteps: fixtures.basic!.openSteps.map((s) => ({ ...s, serverPeakRssMiB: peaks[s.offeredRps]! })) };
  const r = recommend(m, { slo, peakRps: 10_000 });
  // request = ceil8(70 * 1.25 = 87.5) = 88; limit = max(88, ceil8(180 * 1.1 = 198)) = 200.
  assert.equal(r.resources.memoryRequestMiB, 88);
  assert.equal(r.resources.memoryLimitMiB, 200);
  assert.ok(r.reasoning.some((line) => /peak RSS up to lambda_cap 70 MiB/.test(line)));
  // Without per-step peaks (older files): request = limit from the run's peak, as before.
  const old = recommend({ ...fixtures.basic!, serverPeakRssMiB: 180 }, { slo, peakRps: 10_000 });
  // ceil8(180 * 1.25 = 225) = 232.
  assert.deepEqual([old.resources.memoryRequestMiB, old.resources.memoryLimitMiB], [232, 232]);
});

test('policy and growth inputs: limit = request caps the target; fast growth clamps it at 30 % with a warning', () => {
  const equal = recommend(fixtures.basic!, { slo, peakRps: 10_000, cpuLimit: 'equal', growthPerMinute: 1 });
  // g = 2 -> 1/(1.1*2) = 0.4545 -> 45 %; the dead-zone cap (0.85) does not bind.
  assert.equal(equal.hpa.targetCPUUtilizationPercentage, 45);
  assert.equal(equal.resources.cpuLimitMillicores, 600);
  const double = recommend(fixtures.basic!, { slo, peakRps: 10_000, cpuLimit: 'double' });
  assert.equal(double.resources.cpuLimitMillicores, 1200);
  const fast = recommend(fixtures.basic!, { slo, peakRps: 10_000, growthPerMinute: 3 });
  // g = 4 -> 0.227 -> 20 % -> clamped to 30 %.
  assert.equal(fast.hpa.targetCPUUtilizationPercentage, 30);
  assert.ok(fast.warnings.some((w) => /raised to it/.test(w)));
  // Pods policy max(4, ceil(2*(4-1))) = 6; Percent policy max(100, ceil(100*(4^0.25-1))) = max(100, 42) = 100.
  assert.equal(fast.hpa.behavior.scaleUp.policies[1]!.value, 6);
  assert.equal(fast.hpa.behavior.scaleUp.policies[0]!.value, 100);
});

test('the HPA simulation agrees with the formula, and says when even 30% cannot keep up', () => {
  const base = { slo, peakRps: 100_000, minRps: 1000 };
  // +30%/min, 15 s to ready: the formula's 69% holds in the simulation (no violation).
  const calm = recommend(fixtures.basic!, base);
  assert.equal(calm.intermediates.simulatedViolationSecondsGrowth, 0);
  assert.equal(calm.intermediates.utilizationTarget, 0.69);
  // +200%/min with pods taking 60 s to be ready: T_lag = 105 s, g = 3^(105/60) = 6.84, the formula
  // gives 13% -> clamped to 30%, and the simulated HPA still lets the SLO break.
  const wild = recommend(fixtures.basic!, { ...base, growthPerMinute: 2, podReadySeconds: 60 });
  assert.equal(wild.hpa.targetCPUUtilizationPercentage, 30);
  assert.ok((wild.intermediates.simulatedViolationSecondsGrowth ?? 0) > 0);
  assert.ok(wild.warnings.some((w) => /Even at 30% the simulated HPA leaves the SLO broken for \d+ s/.test(w)));
});

test('refuses to recommend when the SLO fails at the lowest rate, and names bad inputs', () => {
  assert.throws(() => recommend(fixtures.failsAtOnce!, { slo, peakRps: 10_000 }), { code: 'HELLO_ERR_NO_RECOMMENDATION', message: /fails already at the lowest valid offered rate \(1000 req\/s/ });
  assert.throws(() => recommend(fixtures.basic!, { slo: { ...slo, percentile: 100 }, peakRps: 10 }), { code: 'HELLO_ERR_INVALID_ARG', message: /slo.percentile 100 is not allowed/ });
  assert.throws(() => recommend(fixtures.basic!, { slo, peakRps: 0 }), { message: /peakRps 0 is not allowed/ });
  const noValid = { ...fixtures.basic!, openSteps: fixtures.basic!.openSteps.map((s) => ({ ...s, valid: false })) };
  assert.throws(() => recommend(noValid, { slo, peakRps: 10 }), { message: /no valid open-model step/ });
});

test('recommend is pure: same input, same output, input untouched', () => {
  const before = JSON.stringify(fixtures.twoReps);
  const a = recommend(fixtures.twoReps!, { slo, peakRps: 10_000 });
  const b = recommend(fixtures.twoReps!, { slo, peakRps: 10_000 });
  assert.deepEqual(a, b);
  assert.equal(JSON.stringify(fixtures.twoReps), before);
});

test('repetitions that disagree by more than 10% on the capacity are reported as noise', () => {
  // twoReps, but the second repetition's p99 at 4000 req/s is 15 ms: analysed alone it breaks the
  // 10 ms SLO between 2000 (1.2 ms) and 4000: f = ln(10/1.2)/ln(15/1.2) = 2.1203/2.5257 = 0.8395
  // -> 3679 req/s, while the first repetition's knee stays at 6000. Median of two = 4839.5, so
  // (6000 - 3679) / 4839.5 = 48%.
  const base = fixtures.twoReps!;
  const noisy = { ...base, openSteps: base.openSteps.map((s) => (s.offeredRps === 4000 ? { ...s, sloLatencyUsPerRepetition: [1800, 15000] } : s)) };
  const r = recommend(noisy, { slo, peakRps: 10_000 });
  close(r.spread.lambdaCapRps!.min, 3679, 1);
  assert.equal(r.spread.lambdaCapRps!.max, 6000);
  assert.ok(r.warnings.some((w) => /^Noise detected: analysed alone, the 2 repetitions put the SLO capacity at 3680-6000 req\/s \(48% apart\)/.test(w)), r.warnings.join('\n'));
  // The fixture as it is (3.5% apart) raises no such warning.
  assert.ok(!recommend(base, { slo, peakRps: 10_000 }).warnings.some((w) => w.startsWith('Noise detected')));
});

test('maxReplicas leaves room above the forecast peak, by the rule the reasoning states', () => {
  // A quiet service (peak 1000 req/s): N = max(2, ceil(1200 / (690 * 0.9))) = 2, so the old rule
  // (N_peak + 1 spare, at least minReplicas) gave 2/2, an HPA that cannot scale.
  // (The pod is small too: R = max(100m, ceil50(CPU(1200 / 1.8) / 0.69 = 96.6m)) = 100m, C_t = 690.)
  const quiet = recommend(fixtures.basic!, { slo, peakRps: 1000 });
  assert.equal(quiet.resources.cpuRequestMillicores, 100);
  assert.deepEqual([quiet.hpa.minReplicas, quiet.hpa.maxReplicas], [2, 3]);
  assert.ok(quiet.reasoning.some((line) => /^maxReplicas = N \+ max\(1, ceil\(0\.5\*N\)\) with N = .* = 2: 3, room for traffic 50% above the forecast peak/.test(line)), quiet.reasoning.join('\n'));
  // A busy one (peak 40000): N = ceil(48000 / 3726) = 13, max = 13 + 7 = 20.
  assert.equal(recommend(fixtures.basic!, { slo, peakRps: 40_000 }).hpa.maxReplicas, 20);
  // Asked for no room at all, it gives none.
  assert.equal(recommend(fixtures.basic!, { slo, peakRps: 1000, surgeHeadroom: 0, sparePods: 0 }).hpa.maxReplicas, 2);
});

test('the CPU request follows the expected peak: a quiet service gets small pods, a busy one the measured pod', () => {
  // basic's latency curve, under a 250m quota, with 30 us of CPU per request (0.03 cores per 1000
  // req/s): lambda_cap 6000 (knee), CPU_cap = 0.18 cores, so the SLO held up to u_max = 0.18 / 0.25
  // = 0.72 of the measured pod's CPU; u_t = floor5%(0.72 / 1.43 = 0.5035) = 50%.
  const quota = underQuota(250, (rps) => (0.03 * rps) / 1000);
  const quiet = recommend(quota, { slo, peakRps: 1000 });
  close(quiet.intermediates.uMax, 0.72, 1e-9);
  assert.equal(quiet.hpa.targetCPUUtilizationPercentage, 50);
  // Quiet (peak 1000 req/s): two pods carry 1000 * 1.2 / (2 * 0.9) = 666.7 req/s each at the target,
  // which needs CPU(666.7) / 0.5 = 0.02 / 0.5 = 40m -> the 100m floor. That pod's SLO capacity is
  // where it uses 0.72 * 100m: 72m / 30 us = 2400 req/s; C_t = 50m / 30 us = 1666.7 req/s;
  // min 2; N = max(2, ceil(1200 / 1500)) = 2 -> max 3.
  assert.equal(quiet.resources.cpuRequestMillicores, 100);
  close(quiet.intermediates.peakShareRps, 666.667, 1e-3);
  close(quiet.intermediates.podSloCapacityRps, 2400, 1e-6);
  close(quiet.intermediates.ctRps, 1666.667, 1e-3);
  assert.deepEqual(quiet.rps, { targetPerPod: 1666, sloCapacityPerPod: 2400, targetUtilizationPercent: 69 });
  assert.deepEqual([quiet.hpa.minReplicas, quiet.hpa.maxReplicas], [2, 3]);
  assert.ok(quiet.warnings.some((w) => /smaller than the pod the bench measured \(250m\).*--cpu-quota 100m/.test(w)));
  // Busy (peak 20000 req/s): 13 333 req/s a pod would need 0.4 / 0.5 = 800m, more than the measured
  // 250m pod, so R = 250m; C_t = 125m / 30 us = 4166.7; N = ceil(24000 / 3750) = 7 -> max 7 + 4 = 11.
  const busy = recommend(quota, { slo, peakRps: 20_000 });
  assert.equal(busy.resources.cpuRequestMillicores, 250);
  close(busy.intermediates.ctRps, 4166.667, 1e-3);
  assert.equal(busy.rps.sloCapacityPerPod, 6000);
  assert.deepEqual([busy.hpa.minReplicas, busy.hpa.maxReplicas], [2, 11]);
  assert.ok(!busy.warnings.some((w) => /smaller than the pod the bench measured/.test(w)));
});

/**
 * A pod's own sweep: basic's first step at each rate, with the server's p99 (ms) there and its CPU
 * from `coresAt` (default: 30 us per request, at most the quota).
 */
const ownSweep = (millicores: number, p99Ms: Record<number, number>, coresAt = (rps: number) => Math.min(millicores / 1000, (0.03 * rps) / 1000)): NonNullable<RecommendMeasurements['requestPod']> => ({
  cpuQuotaMillicores: millicores,
  steps: Object.entries(p99Ms).map(([rps, ms]) => ({
    ...fixtures.basic!.openSteps[0]!,
    offeredRps: Number(rps),
    achievedRps: Number(rps),
    sloLatencyUsPerRepetition: [ms * 1000],
    serverCpuCores: coresAt(Number(rps)),
  })),
});

test('the recommended pod\'s own sweep: its measured SLO capacity replaces the CPU line\'s prediction', () => {
  // The quiet service above: R = 100m, whose capacity the CPU line puts at 2400 req/s. Its own
  // sweep under a 100m quota: p99 1, 1.5, 3, 20, 60 ms at 1200, 1680, 2040, 2400, 2760 req/s.
  // lambda_slo: log-interpolated between 2040 (3 ms) and 2400 (20 ms): f = ln(10/3)/ln(20/3) =
  // 0.6346 -> 2268.5; Kneedle (latency normalised to [1, 60] ms): d = 0, .2992, .5046, .4472, 0
  // -> knee 2040; lambda_cap 2040 (below the ceiling: min(6000, 3333.3 where the line reaches
  // 100m)). Its steps and the line put that pod at 0.0612 cores there: its own u_max = 0.612, and its target
  // floor1%(0.612 / 1.43 = 0.428) = 42%, lower than the measured pod's 50%: C_t = 42m / 30 us =
  // 1400 req/s; the RPS target 2040 x 0.42 / 0.612 = 1400 (C_t again: no intercept); replicas
  // N = max(2, ceil(1200 / (1400 x 0.9))) = 2 -> 2 / 3.
  const quota = underQuota(250, (rps) => (0.03 * rps) / 1000);
  const measured = ownSweep(100, { 1200: 1, 1680: 1.5, 2040: 3, 2400: 20, 2760: 60 });
  const r = recommend({ ...quota, requestPod: measured }, { slo, peakRps: 1000 });
  assert.equal(r.resources.cpuRequestMillicores, 100);
  close(r.intermediates.podSloCapacityPredictedRps, 2400, 1e-6);
  close(r.intermediates.podSloCapacityMeasuredRps, 2040, 1e-9);
  close(r.intermediates.uMax, 0.72, 1e-9);
  close(r.intermediates.requestPodUMax, 0.612, 1e-9);
  assert.equal(r.hpa.targetCPUUtilizationPercentage, 42);
  close(r.intermediates.ctRps, 1400, 1e-6);
  assert.deepEqual(r.rps, { targetPerPod: 1400, sloCapacityPerPod: 2040, targetUtilizationPercent: 69 });
  assert.deepEqual([r.hpa.minReplicas, r.hpa.maxReplicas], [2, 3]);
  assert.ok(!r.warnings.some((w) => /smaller than the pod the bench measured/.test(w)), r.warnings.join('\n'));
  assert.ok(r.reasoning.some((l) => /its SLO capacity is 2040 req\/s, measured by its own sweep under a 100m quota \(CPU\(lambda\) = u_max\*R on the measured pod's CPU line: 2400 req\/s; at most 3330 req\/s/.test(l)));
  assert.ok(r.reasoning.some((l) => /^The 100m pod met the SLO up to 2040 req\/s, where it used 0\.0612 cores \(its own steps\) and the CPU line puts it at 0\.0612: its u_max = min\(1, 61\.2m \/ 100m\) = 0\.612/.test(l)));
  assert.ok(r.reasoning.some((l) => /^Target utilization of the recommended 100m pod u_t = floor1%\(u_max/.test(l)));
  assert.equal(r.reasoning.filter((l) => l.startsWith('Scale-up lag')).length, 1);
  // Where its own steps used less than the line says (0.9 of it), the lower reading: u_max 0.5508,
  // target floor1%(0.5508 / 1.43 = 0.3852) = 38%.
  const lean = recommend({ ...quota, requestPod: ownSweep(100, { 1200: 1, 1680: 1.5, 2040: 3, 2400: 20, 2760: 60 }, (rps) => (0.9 * 0.03 * rps) / 1000) }, { slo, peakRps: 1000 });
  close(lean.intermediates.requestPodUMax, 0.5508, 1e-9);
  assert.equal(lean.hpa.targetCPUUtilizationPercentage, 38);
  // A sweep that seems to do more than a 100m pod can (the line reaches 100m at 3333 req/s) is
  // capped there, not called a lower bound; its steps used all of 100m: u_max 1, target
  // floor1%(1 / 1.43) = 69%.
  const fast = recommend({ ...quota, requestPod: ownSweep(100, { 5000: 1, 7000: 2 }) }, { slo, peakRps: 1000 });
  close(fast.intermediates.podSloCapacityMeasuredRps, 3333.333, 1e-3);
  close(fast.intermediates.requestPodUMax, 1, 1e-9);
  assert.equal(fast.hpa.targetCPUUtilizationPercentage, 69);
  assert.ok(!fast.warnings.some((w) => /lower bound/.test(w)), fast.warnings.join('\n'));
  // No step broke the SLO below the ceiling: a lower bound, said so.
  const short = recommend({ ...quota, requestPod: ownSweep(100, { 1000: 1, 2000: 2 }) }, { slo, peakRps: 1000 });
  close(short.intermediates.podSloCapacityMeasuredRps, 2000, 1e-9);
  assert.ok(short.warnings.some((w) => /^No step of the 100m pod's own sweep broke the SLO: its SLO capacity \(2000 req\/s\) is a lower bound\.$/.test(w)));
  // A sweep of another size (a --from with another peak) is not this pod's: the line's prediction, with its warning.
  const other = recommend({ ...quota, requestPod: ownSweep(150, { 1200: 1, 2400: 20 }) }, { slo, peakRps: 1000 });
  assert.equal(other.intermediates.podSloCapacityMeasuredRps, null);
  assert.equal(other.intermediates.requestPodUMax, null);
  assert.equal(other.rps.sloCapacityPerPod, 2400);
  assert.equal(other.hpa.targetCPUUtilizationPercentage, 50);
  assert.ok(other.warnings.some((w) => /smaller than the pod the bench measured \(250m\): its SLO capacity .*--cpu-quota 100m/.test(w)));
  // A sweep with no valid step says nothing: the line's prediction, and the warning says why.
  const noisy = ownSweep(100, { 1200: 1, 2400: 20 });
  const invalid = recommend({ ...quota, requestPod: { ...noisy, steps: noisy.steps.map((st) => ({ ...st, valid: false })) } }, { slo, peakRps: 1000 });
  assert.equal(invalid.resources.cpuRequestMillicores, 100);
  assert.equal(invalid.rps.sloCapacityPerPod, 2400);
  assert.ok(invalid.warnings.some((w) => /its own sweep under a 100m quota had no valid step \(none of its 2 step\(s\) was valid\)/.test(w)), invalid.warnings.join('\n'));
  // A 100m pod that met the SLO at none of its rates: the request stays at the measured 250m pod.
  const failing = recommend({ ...quota, requestPod: ownSweep(100, { 1200: 30, 2400: 60 }) }, { slo, peakRps: 1000 });
  assert.equal(failing.resources.cpuRequestMillicores, 250);
  assert.equal(failing.rps.sloCapacityPerPod, 6000);
  assert.equal(failing.hpa.targetCPUUtilizationPercentage, 50);
  assert.ok(failing.warnings.some((w) => /^A 100m pod, measured under a 100m quota, met the SLO at none of its rates \(.*\): the request stays at the measured pod's 250m\.$/.test(w)), failing.warnings.join('\n'));
});

test('the RPS target keeps the CPU target\'s headroom in requests, where C_t sits lower when the CPU line has an intercept', () => {
  // basic's latency curve under a 250m quota, with CPU = 0.06 cores + 20 us x lambda (0.08, 0.10,
  // 0.14, 0.18, 0.22 cores): lambda_cap 6000 (knee), CPU_cap 0.18 cores, u_max 0.72, u_t 50%. The
  // busy peak needs more than the measured pod, so R = 250m and the SLO capacity is lambda_cap.
  const withIdle = underQuota(250, (rps) => 0.06 + (20 * rps) / 1e6);
  const r = recommend(withIdle, { slo, peakRps: 20_000 });
  close(r.intermediates.cpuModelIdleCores, 0.06, 1e-9);
  close(r.intermediates.uMax, 0.72, 1e-9);
  assert.equal(r.hpa.targetCPUUtilizationPercentage, 50);
  assert.equal(r.resources.cpuRequestMillicores, 250);
  // C_t: the CPU reaches 0.5 x 250m = 0.125 cores at (0.125 - 0.06) / 20 us = 3250 req/s; the CPU
  // HPA's replicas come from it: N = ceil(24000 / (3250 x 0.9)) = ceil(8.2) = 9 -> max 9 + 5 = 14.
  close(r.intermediates.ctRps, 3250, 1e-6);
  assert.equal(r.hpa.maxReplicas, 14);
  // The RPS target: 6000 x 0.5 / 0.72 = 4166.7 req/s, 69% of the SLO capacity, as in the
  // proportional case above; C_t would have put it at 3250 (54%).
  assert.deepEqual(r.rps, { targetPerPod: 4166, sloCapacityPerPod: 6000, targetUtilizationPercent: 69 });
  assert.ok(r.reasoning.some((l) => /^RPS target = C_slo \* min\(1, u\/u_max\) = 6000 \* min\(1, 0\.5\/0\.72\) = 4170 req\/s per pod.*C_t = 3250 req\/s is where the CPU HPA holds a pod, lower because the CPU line has an intercept \(0\.06 cores\)/.test(l)));
});

test('where the CPU target is raised to its floor, the RPS target keeps the headroom the formula asked for', () => {
  // basic's curve, 30 us per request, under a 1000m quota: the SLO held to CPU_cap 0.18 cores,
  // u_max = 0.18; the raw target 0.18 / 1.43 = 0.1259 is raised to 30%. R = max(100m, ceil50(0.02 /
  // 0.3)) = 100m, whose SLO capacity is 0.018 cores / 30 us = 600 req/s; at 30% (above u_max) the
  // CPU HPA would hold pods at C_slo itself. The RPS target: 600 x 0.1259 / 0.18 = 600 / 1.43.
  const wide = underQuota(1000, (rps) => (0.03 * rps) / 1000);
  const r = recommend(wide, { slo, peakRps: 1000 });
  close(r.intermediates.uMax, 0.18, 1e-9);
  assert.equal(r.hpa.targetCPUUtilizationPercentage, 30);
  assert.equal(r.resources.cpuRequestMillicores, 100);
  close(r.intermediates.ctRps, 600, 1e-6);
  assert.deepEqual(r.rps, { targetPerPod: 419, sloCapacityPerPod: 600, targetUtilizationPercent: 70 });
});

test('the SLO is checked on the merged percentile with its interval, and the recommendation takes the side that protects it', () => {
  // basic, with an interval on each step's merged p99: doubt at 4000 (1.8-2.5 ms) and at 6000
  // (4-20 ms); the others are sure.
  const ranges: Record<number, [number, number]> = { 4000: [1800, 2500], 6000: [4000, 20_000] };
  const withIntervals = {
    ...fixtures.basic!,
    openSteps: fixtures.basic!.openSteps.map((s) => {
      const merged = s.sloLatencyUsPerRepetition[0]!;
      const [lowUs, highUs] = ranges[s.offeredRps] ?? [merged, merged];
      return { ...s, sloLatency: { percentile: 99, boundUs: 10_000, mergedUs: merged, overBoundFraction: 0, overBoundStandardError: 0, batches: 10, lowUs, highUs } };
    }),
  };
  const r = recommend(withIntervals, { slo, peakRps: 10_000 });
  const i = r.intermediates;
  // On the high ends (1, 1.2, 2.5, 20, 40 ms): lambda_slo between 4000 (2.5 ms) and 6000 (20 ms),
  // f = ln(10/2.5)/ln(20/2.5) = 2/3 -> 5333.3; Kneedle with y0 = 1 ms, span 39 ms: d = 0, .1377,
  // .4286 - .0385 = .3901, .7143 - .4872 = .2271, 0 -> knee 4000; lambda_cap = 4000.
  close(i.lambdaSloRps, 5333.33, 0.01);
  assert.equal(i.lambdaCapRps, 4000);
  // On the merged points it is basic's 6000 (knee); on the low ends (.., 1.8, 4, 40 ms) the knee
  // is 6000 again (d = .4081 at 4000, .6374 at 6000).
  assert.equal(i.lambdaCapPointRps, 6000);
  assert.equal(i.lambdaCapOptimisticRps, 6000);
  // Protective sizing: CPU_cap = 0.4 cores (the line is 100 us/req), no quota, so the measured pod
  // is 400m with u_max 1 -> 69%; R = min(400m, ceil50(CPU(6667) / .69)) = 400m; C_t = .276 / 100 us
  // = 2760; N = ceil(12000 / 2484) = 5 -> max 8. On the merged points: 600m, C_t 4140, max 6.
  assert.equal(r.resources.cpuRequestMillicores, 400);
  assert.deepEqual(r.rps, { targetPerPod: 2760, sloCapacityPerPod: 4000, targetUtilizationPercent: 69 });
  assert.deepEqual([r.hpa.minReplicas, r.hpa.maxReplicas], [2, 8]);
  assert.deepEqual(r.intervals!.cpuRequestMillicores, { low: 400, point: 600, high: 600 });
  assert.deepEqual(r.intervals!.maxReplicas, { low: 6, point: 6, high: 8 });
  assert.deepEqual(r.intervals!.rpsTargetPerPod, { low: 2760, point: 4140, high: 4140 });
  assert.deepEqual(r.intervals!.targetCPUUtilizationPercentage, { low: 69, point: 69, high: 69 });
  assert.ok(r.reasoning.some((line) => /checked on each step's p99 of all its repetitions merged, with an interval .* lambda_cap 4000 req\/s \(merged percentiles: 6000; low ends: 6000\)/.test(line)));
  assert.ok(r.reasoning.some((line) => /^Every value above is sized on the capacity's protective side; .*maxReplicas 6-8 \(merged 6\)/.test(line)));
  // Memory is the one value whose safe side is the highest capacity: a pod that takes more
  // requests holds more. Peaks 60, 60, 70, 90, 150 MiB; up to 4000 req/s (protective) the request
  // would be ceil8(70 * 1.25) = 88 MiB, up to 6000 (merged, low ends) ceil8(90 * 1.25) = 120 MiB.
  const peaks: Record<number, number> = { 1000: 60, 2000: 60, 4000: 70, 6000: 90, 8000: 150 };
  const withPeaks = { ...withIntervals, serverPeakRssMiB: 180, openSteps: withIntervals.openSteps.map((s) => ({ ...s, serverPeakRssMiB: peaks[s.offeredRps]! })) };
  const mem = recommend(withPeaks, { slo, peakRps: 10_000 });
  assert.deepEqual([mem.resources.memoryRequestMiB, mem.resources.memoryLimitMiB], [120, 200]);
  assert.deepEqual(mem.intervals!.memoryRequestMiB, { low: 88, point: 120, high: 120 });
  assert.ok(mem.reasoning.some((line) => /Memory is taken where the capacity's interval needs the most \(120 MiB at lambda_cap 6000 req\/s, not 88 MiB\)/.test(line)));
  // A step in doubt below one that is sure is noise: latency does not fall as load rises.
  const noisyLow = { ...withIntervals, openSteps: withIntervals.openSteps.map((s) => (s.offeredRps === 1000 ? { ...s, sloLatency: { ...s.sloLatency, highUs: 15_000 } } : s)) };
  const noisy = recommend(noisyLow, { slo, peakRps: 10_000 });
  assert.equal(noisy.intermediates.lambdaCapRps, 4000);
  assert.ok(noisy.warnings.some((w) => /^Noise detected: the step\(s\) at 1000 req\/s failed the SLO below lambda_slo while a higher rate met it/.test(w)));
  // When no step is sure, the lowest rate that meets it on its merged percentile is the bound, with a warning.
  const doubtful = { ...withIntervals, openSteps: withIntervals.openSteps.map((s) => ({ ...s, sloLatency: { ...s.sloLatency, highUs: Math.max(s.sloLatency.highUs, 15_000) } })) };
  const low = recommend(doubtful, { slo, peakRps: 10_000 });
  assert.equal(low.intermediates.lambdaCapRps, 1000);
  assert.ok(low.warnings.some((w) => /Even the lowest step \(1000 req\/s\) is not sure to meet the SLO/.test(w)));
});
