import type { ProbeOutcome } from './handler.js';

/** One sample of a probe's metrics. */
export interface ProbeSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A probe's result as plain data (for the CLI's table and `--json`). */
export interface ProbeSummary {
  readonly target: string;
  readonly module: string;
  readonly prober: string;
  readonly success: boolean;
  readonly durationSeconds: number;
  readonly timeoutSeconds: number;
  /** `probe_http_duration_seconds` by phase (http only). */
  readonly phases: Readonly<Record<string, number>>;
  /** Every other sample, by metric name. */
  readonly samples: readonly ProbeSample[];
  /** Log lines at level error: why the probe failed. */
  readonly errors: readonly string[];
  readonly logs: readonly string[];
}

/** Turns a probe outcome into plain data. */
export async function summarizeProbe(outcome: ProbeOutcome): Promise<ProbeSummary> {
  const metrics = await outcome.registry.getMetricsAsJSON();
  const phases: Record<string, number> = {};
  const samples: ProbeSample[] = [];
  for (const metric of metrics.sort((a, b) => a.name.localeCompare(b.name))) {
    for (const v of metric.values) {
      const labels = Object.fromEntries(Object.entries(v.labels).map(([k, x]) => [k, String(x)]));
      if (metric.name === 'probe_http_duration_seconds') phases[labels.phase ?? ''] = v.value;
      else samples.push({ name: metric.name, labels, value: v.value });
    }
  }
  return {
    target: outcome.target,
    module: outcome.module.name,
    prober: outcome.module.prober,
    success: outcome.success,
    durationSeconds: outcome.durationSeconds,
    timeoutSeconds: outcome.timeoutSeconds,
    phases,
    samples,
    errors: outcome.logs.filter((l) => l.includes(' level=error ')),
    logs: outcome.logs,
  };
}
