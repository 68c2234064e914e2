/**
 * Latency histograms: HdrHistogram in microseconds, 1 us to 60 s, 3 significant digits.
 * Histograms are merged with `add`, never averaged; percentiles come from the merged histogram.
 */
import * as hdr from 'hdr-histogram-js';
import type { BenchPercentiles } from './contract.js';

/** A latency histogram (microseconds). */
export type LatencyHistogram = hdr.Histogram;

/** Largest recordable value: 60 s in microseconds. Larger values are clamped to it. */
export const HISTOGRAM_MAX_US = 60_000_000;

/** A new, empty microsecond histogram. */
export function createLatencyHistogram(): LatencyHistogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HISTOGRAM_MAX_US, numberOfSignificantValueDigits: 3, bitBucketSize: 32 });
}

/** Records `us` microseconds, clamped to [1, HISTOGRAM_MAX_US] so nothing is dropped. */
export function recordUs(histogram: LatencyHistogram, us: number): void {
  histogram.recordValue(Math.min(HISTOGRAM_MAX_US, Math.max(1, Math.round(us))));
}

/** A new histogram holding every sample of `parts`. */
export function mergeHistograms(parts: readonly LatencyHistogram[]): LatencyHistogram {
  const merged = createLatencyHistogram();
  for (const part of parts) merged.add(part);
  return merged;
}

/** Value at percentile `p` (0-100), microseconds; 0 for an empty histogram. */
export function percentileUs(histogram: LatencyHistogram, p: number): number {
  return histogram.totalCount === 0 ? 0 : histogram.getValueAtPercentile(p);
}

/** The standard percentile set of a histogram, microseconds. */
export function percentilesOf(histogram: LatencyHistogram): BenchPercentiles {
  return {
    p50: percentileUs(histogram, 50),
    p90: percentileUs(histogram, 90),
    p99: percentileUs(histogram, 99),
    p999: percentileUs(histogram, 99.9),
    max: histogram.totalCount === 0 ? 0 : histogram.maxValue,
  };
}

/** HdrHistogram compressed base64, for the results file. */
export function encodeHistogram(histogram: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** The inverse of {@link encodeHistogram}. */
export function decodeHistogram(encoded: string): LatencyHistogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  // Copy into our own layout so later merges see the same range and precision.
  return mergeHistograms([decoded]);
}
