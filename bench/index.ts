/**
 * bench/: measures the hello service (or any URL) and turns the measurements into resources and
 * HPA settings. A pipeline of small functions: run -> summarize -> recommend (pure) -> present.
 */
export * from './results.js';
export { recommend, relativeRange, UTILIZATION_TARGET_BOUNDS, ACHIEVED_RATE_FLOOR, type RecommendInputs, type RecommendMeasurements } from './recommend.js';
export { runOpenModel, type OpenModelOptions, type OpenModelRun } from './open-model.js';
export { runSaturationStep, type SaturationRun, type SaturationStepOptions } from './saturation.js';
export { createRandom, planArrivals } from './arrivals.js';
export { createLatencyHistogram, mergeHistograms, percentileUs, percentilesOf, encodeHistogram, decodeHistogram, type LatencyHistogram } from './histogram.js';
export { checkOpenRun, noiseOf, refineRates, serverFellShort, spoiledByGenerator, summarizeOpenStep, summarizeSaturation, DEFAULT_GATES, type RunGates, type OpenRunRecord } from './summarize.js';
export { runBench, DEFAULT_SERVER_CPU_QUOTA_MILLICORES, SHARE_LIKE_QUOTA_PERIOD_MS, QUICK_PLAN, FULL_PLAN, type BenchMeasuredRun, type BenchOptions, type BenchPlan, type BenchProgress } from './run.js';
export { renderBenchReport, renderComparison, renderMeasurements, writeBenchFiles, writeMeasuredRun, type BenchFiles } from './report.js';
export { compareBenchResults, type BenchComparison, type ComparedValue } from './compare.js';
export { renderLatencyPlot } from './plot.js';
export { simulateHpa, growthTraffic, type HpaSimulationInput, type HpaSimulationResult } from './simulate.js';
export { startStallMonitor, STALL_THRESHOLD_MS, type StallMonitor } from './stalls.js';
