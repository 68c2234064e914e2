/**
 * bench/: measures the hello service (or any URL) and turns the measurements into resources and
 * HPA settings. A pipeline of small functions: run -> summarize -> recommend (pure) -> present.
 */
export * from './contract.js';
export { recommend } from './recommend/recommend.js';
export { ACHIEVED_RATE_FLOOR, type RecommendInputs, type RecommendMeasurements } from './recommend/inputs.js';
export { relativeRange, spreadOf } from './recommend/spread.js';
export { UTILIZATION_TARGET_BOUNDS } from './recommend/utilization.js';
export { runOpenModel, type OpenModelBatches, type OpenModelOptions, type OpenModelRun } from './open-model.js';
export { GENERATOR_YOUNG_GENERATION_MIB, GeneratorThread } from './open-model-worker.js';
export { runSaturationStep, runSaturationSweep, type SaturationRun, type SaturationStepOptions, type SaturationSweepOptions } from './saturation.js';
export { createRandom, deriveSeed, planArrivals } from './arrivals.js';
export { createLatencyHistogram, mergeHistograms, percentileUs, percentilesOf, encodeHistogram, decodeHistogram, type LatencyHistogram } from './histogram.js';
export { assessRun, checkOpenRun, describeOpenRunProblem, describeRemeasured, describeRunProblem, noiseOf, serverFellShort, spoiledByGenerator, stealOf, DEFAULT_GATES, type OpenRunProblem, type RunEvidence, type RunGates, type RunProblem } from './assess.js';
export { meetsSlo, rateBelow, refineRates, summarizeOpenStep, summarizeSaturation } from './summarize.js';
export { sloLatencyOf, stepSloLatencyUs, studentT95, type SloSide } from './slo-latency.js';
export { measureOpenStep, type OpenRunRecord, type OpenStepParams } from './open-step.js';
export { runOpenSweep, type OpenSweep, type OpenSweepOptions } from './open-sweep.js';
export { runBench, recommendAgain, DEFAULT_SERVER_CPU_QUOTA_MILLICORES, SHARE_LIKE_QUOTA_PERIOD_MS, QUICK_PLAN, FULL_PLAN, type BenchMeasuredRun, type BenchOptions, type BenchPlan, type BenchProgress } from './run.js';
export { renderBenchReport, renderComparison, renderMeasurements, writeBenchFiles, writeMeasuredRun, type BenchFiles } from './report.js';
export { compareBenchResults, type BenchComparison, type ComparedValue } from './compare.js';
export { checkMachineSpeed, type MachineSpeedCheck } from './machine-speed.js';
export { renderLatencyPlot } from './plot.js';
export { simulateHpa, growthTraffic, type HpaSimulationInput, type HpaSimulationResult } from './simulate.js';
export { externalTarget, sendClosedLoop, startHelloTarget, warmupVerdict, type BenchTarget, type ServerGc, type StartHelloTargetOptions, type Warmup } from './target.js';
export { backgroundCpuSecondsBetween, backgroundThreadsCpu, cpuListCores, parseCoreTimes, stealShareBetween, type CoreTimes } from './host.js';
export { startStallMonitor, STALL_THRESHOLD_MS, type StallMonitor } from './stalls.js';
