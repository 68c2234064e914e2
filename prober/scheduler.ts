import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../common/index.js';
import type { ProberConfig, ScheduledTarget } from './config/types.js';
import { PROBER_DEFAULT_SCRAPE_TIMEOUT_SECONDS, PROBER_DURATION_BUCKETS, PROBER_SCHEDULED_LABELS } from './contract.js';
import { probeDeadlineSeconds, runModuleProbe } from './handler.js';
import { scheduledMetric } from './metrics.js';

/** The background prober of scheduled mode. */
export interface Scheduler {
  /** Per-target series for `/metrics` (a registry of its own, rebuilt with each config). */
  readonly registry: Registry;
  /** Stops the timers and aborts probes in flight. */
  stop(): void;
  /** Resolves after every target has been probed at least once (tests, `hello-cli dev`). */
  firstRound(): Promise<void>;
}

/**
 * Probes every `targets[]` entry on its interval. Each target gets `probe_success`, a
 * `probe_duration_seconds` histogram and counters of runs and failures, labelled with
 * `target`, `module` and the target's labels, so availability and latency SLOs come from
 * counters and histograms instead of sampled gauges. Start times are spread over the
 * interval so that targets do not fire together.
 */
export function startScheduler(config: ProberConfig, logger: Logger): Scheduler {
  const registry = new Registry();
  const userLabels = [...new Set(config.targets.flatMap((t) => Object.keys(t.labels)))].sort();
  const labelNames = [...PROBER_SCHEDULED_LABELS, ...userLabels];
  const success = new Gauge({ ...scheduledMetric('probe_success'), labelNames, registers: [registry] });
  const duration = new Histogram({
    ...scheduledMetric('probe_duration_seconds'),
    labelNames,
    buckets: [...PROBER_DURATION_BUCKETS],
    registers: [registry],
  });
  const runs = new Counter({ ...scheduledMetric('probe_runs_total'), labelNames, registers: [registry] });
  const failures = new Counter({ ...scheduledMetric('probe_failures_total'), labelNames, registers: [registry] });

  const controller = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  let pending = config.targets.length;
  let resolveFirst: () => void = () => undefined;
  const first = new Promise<void>((resolve) => {
    resolveFirst = resolve;
    if (pending === 0) resolve();
  });

  const probeOnce = async (t: ScheduledTarget, labels: Record<string, string>): Promise<void> => {
    const module = config.modules[t.module];
    if (!module) return;
    // The scheduler scrapes itself: its budget is the interval, and a module without a timeout
    // gets the exporter's default scrape timeout.
    const seconds = probeDeadlineSeconds(module, t.intervalMs / 1000, PROBER_DEFAULT_SCRAPE_TIMEOUT_SECONDS);
    const outcome = await runModuleProbe(module, t.target, seconds, logger, controller.signal);
    if (controller.signal.aborted) return;
    success.labels(labels).set(outcome.success ? 1 : 0);
    duration.labels(labels).observe(outcome.durationSeconds);
    runs.labels(labels).inc();
    if (!outcome.success) {
      failures.labels(labels).inc();
      logger.warn('scheduled probe failed', { target: t.target, module: t.module, log: outcome.logs.filter((l) => l.includes('level=error')) });
    }
  };

  config.targets.forEach((t, i) => {
    const labels: Record<string, string> = { target: t.target, module: t.module };
    for (const name of userLabels) labels[name] = t.labels[name] ?? '';
    // Zero the counters so rate() and the availability ratio exist from the first scrape.
    runs.labels(labels).inc(0);
    failures.labels(labels).inc(0);
    let firstDone = false;
    const loop = async (): Promise<void> => {
      const started = Date.now();
      await probeOnce(t, labels);
      if (!firstDone) {
        firstDone = true;
        pending -= 1;
        if (pending === 0) resolveFirst();
      }
      if (controller.signal.aborted) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        void loop();
      }, Math.max(0, t.intervalMs - (Date.now() - started)));
      timers.add(timer);
    };
    const offset = config.targets.length > 1 ? Math.floor((t.intervalMs * i) / config.targets.length) % Math.min(t.intervalMs, 5_000) : 0;
    const timer = setTimeout(() => {
      timers.delete(timer);
      void loop();
    }, offset);
    timers.add(timer);
  });

  return {
    registry,
    stop() {
      controller.abort(new Error('scheduler stopped'));
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      resolveFirst();
    },
    firstRound: () => first,
  };
}
