/**
 * A discrete-time (1 s) simulation of the HPA scaling one Deployment, to check a recommendation
 * against traffic growth (bench-method.md section 6 step 12). Pure and deterministic.
 *
 * Modelled: metrics-server windows (a pod's CPU averaged over the last `metricsResolutionSeconds`,
 * refreshed that often, missing until the pod has been ready for a whole window); the HPA sync
 * every `syncPeriodSeconds` with its tolerance; pods without metrics counted as 0% on scale-up;
 * the behaviour's scale-up policies (max of Percent and Pods per period) and scale-down
 * stabilization and policies (min of Percent and Pods per period); pod start-to-ready delay.
 * Load is spread evenly over ready pods; a second in which a ready pod gets more than the per-pod
 * SLO capacity counts as an SLO violation.
 */
import type { BenchHpaScalingRules } from './contract.js';

/** What the simulation needs to know. */
export interface HpaSimulationInput {
  /** CPU request per pod, cores. */
  readonly requestCores: number;
  /** HPA target utilization as a fraction (0.65). */
  readonly targetUtilization: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly scaleUp: BenchHpaScalingRules;
  readonly scaleDown: BenchHpaScalingRules;
  readonly tolerance: number;
  readonly syncPeriodSeconds: number;
  readonly metricsResolutionSeconds: number;
  /** Pod creation to Ready (plus node provisioning when no node is spare), seconds. */
  readonly podReadySeconds: number;
  /** Per-pod CPU (cores) at a per-pod rate, from the measured curve. */
  readonly cpuAtRate: (rps: number) => number;
  /** Per-pod rate above which the SLO breaks (lambda_cap). */
  readonly sloCapacityRps: number;
  /** Total offered rate at second t. */
  readonly traffic: (t: number) => number;
  readonly durationSeconds: number;
  /** Replicas at t = 0, all ready. Default minReplicas. */
  readonly initialReplicas?: number;
}

/** What happened. */
export interface HpaSimulationResult {
  /** Seconds in which a ready pod was above its SLO capacity (or no pod was ready). */
  readonly violationSeconds: number;
  /** First second of violation, or null. */
  readonly firstViolationAt: number | null;
  /** Highest replica count reached. */
  readonly peakReplicas: number;
  /** Replica count at the end. */
  readonly finalReplicas: number;
  /** True when the HPA wanted more than maxReplicas at some point. */
  readonly hitMaxReplicas: boolean;
  /** Replica count (created, ready or not) at the end of each second. */
  readonly replicasOverTime: readonly number[];
}

interface Pod {
  readonly createdAt: number;
  readonly readyAt: number;
  /** Per-second CPU usage since ready, for the metrics window. */
  readonly usage: number[];
  /** The last metrics-server sample (cores), or null. */
  sample: number | null;
}

/** One HPA sync: what it wanted and the replica count it left. */
interface SyncRecord {
  readonly t: number;
  after: number;
  readonly desired: number;
}

/** Runs the simulation. */
export function simulateHpa(input: HpaSimulationInput): HpaSimulationResult {
  const initial = input.initialReplicas ?? input.minReplicas;
  let pods: Pod[] = Array.from({ length: initial }, () => ({ createdAt: -3600, readyAt: -3600, usage: [], sample: null }));
  let violationSeconds = 0;
  let firstViolationAt: number | null = null;
  let peakReplicas = initial;
  let hitMaxReplicas = false;
  // Each sync's recommendation and the replica count it left, for the policies' periods and the
  // scale-down stabilization window.
  const history: SyncRecord[] = [];
  const replicasOverTime: number[] = [];
  for (let t = 0; t < input.durationSeconds; t++) {
    const ready = pods.filter((p) => p.readyAt <= t);
    const perPod = ready.length > 0 ? input.traffic(t) / ready.length : Infinity;
    if (perPod > input.sloCapacityRps) {
      violationSeconds += 1;
      firstViolationAt ??= t;
    }
    for (const p of ready) p.usage.push(input.cpuAtRate(perPod));
    if (t % input.metricsResolutionSeconds === 0) sampleMetrics(ready, input.metricsResolutionSeconds);
    if (t % input.syncPeriodSeconds === 0 && t > 0) {
      const wanted = desiredReplicas(pods, input);
      if (wanted > input.maxReplicas) hitMaxReplicas = true;
      const entry: SyncRecord = { t, after: pods.length, desired: Math.min(input.maxReplicas, wanted) };
      history.push(entry);
      pods = scaleTo(pods, allowedReplicas(entry, history, input, initial), t, input.podReadySeconds);
      entry.after = pods.length;
      peakReplicas = Math.max(peakReplicas, pods.length);
    }
    replicasOverTime.push(pods.length);
  }
  return { violationSeconds, firstViolationAt, peakReplicas, finalReplicas: pods.length, hitMaxReplicas, replicasOverTime };
}

/** metrics-server: a new sample per ready-for-a-whole-window pod every resolution. */
function sampleMetrics(ready: readonly Pod[], windowSeconds: number): void {
  for (const p of ready) {
    const window = p.usage.slice(-windowSeconds);
    p.sample = window.length >= windowSeconds ? window.reduce((a, b) => a + b, 0) / window.length : null;
  }
}

/**
 * The HPA's recommendation (at least minReplicas, not yet capped at maxReplicas): usage against
 * the target over the pods with metrics, nothing outside the tolerance, and on scale-up the pods
 * without metrics counted as 0%.
 */
function desiredReplicas(pods: readonly Pod[], input: HpaSimulationInput): number {
  const current = pods.length;
  const withMetrics = pods.filter((p) => p.sample !== null);
  let desired = current;
  if (withMetrics.length > 0) {
    const usage = withMetrics.reduce((a, p) => a + (p.sample as number), 0);
    const perTarget = input.requestCores * input.targetUtilization;
    const ratio = usage / (withMetrics.length * perTarget);
    if (Math.abs(ratio - 1) > input.tolerance) {
      if (ratio > 1) {
        const adjusted = usage / (current * perTarget);
        if (adjusted > 1 + input.tolerance) desired = Math.ceil(adjusted * current);
      } else {
        desired = Math.ceil(ratio * withMetrics.length);
      }
    }
  }
  return Math.max(input.minReplicas, desired);
}

/** The replica count the behaviour allows for `entry`'s recommendation: the policies and, down, the stabilization window. */
function allowedReplicas(entry: SyncRecord, history: readonly SyncRecord[], input: HpaSimulationInput, initial: number): number {
  const { t, desired, after: current } = entry;
  if (desired > current) {
    const up = input.scaleUp;
    const limits = up.policies.map((p) => {
      const ref = replicasAt(history, t - p.periodSeconds, initial);
      return p.type === 'Percent' ? Math.ceil(ref * (1 + p.value / 100)) : ref + p.value;
    });
    const limit = up.selectPolicy === 'Max' ? Math.max(...limits) : Math.min(...limits);
    return Math.min(desired, Math.max(current, limit));
  }
  if (desired === current) return current;
  const down = input.scaleDown;
  // Stabilization: the highest recommendation within the window wins.
  const stable = Math.max(desired, ...history.filter((h) => h.t > t - down.stabilizationWindowSeconds).map((h) => h.desired));
  if (stable >= current) return current;
  const limits = down.policies.map((p) => {
    const ref = replicasAt(history, t - p.periodSeconds, initial);
    return p.type === 'Percent' ? Math.floor(ref * (1 - p.value / 100)) : ref - p.value;
  });
  const limit = down.selectPolicy === 'Min' ? Math.max(...limits) : Math.min(...limits);
  return Math.max(stable, limit, input.minReplicas);
}

/** Adds pods (ready after `podReadySeconds`) or removes the newest ones, like a ReplicaSet preferring not-ready and younger pods. */
function scaleTo(pods: Pod[], next: number, t: number, podReadySeconds: number): Pod[] {
  if (next > pods.length) {
    const added = Array.from({ length: next - pods.length }, (): Pod => ({ createdAt: t, readyAt: t + podReadySeconds, usage: [], sample: null }));
    return [...pods, ...added];
  }
  if (next < pods.length) return [...pods].sort((a, b) => a.createdAt - b.createdAt).slice(0, next);
  return pods;
}

/** Replicas left by the last sync at or before `t` (a policy period's start), else `initial`. */
function replicasAt(history: readonly SyncRecord[], t: number, initial: number): number {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.t <= t) return history[i]!.after;
  return initial;
}

/**
 * The growth scenario: the trough for `settleSeconds`, then growth at `growthPerMinute` (compound)
 * up to the peak, then the peak for `holdSeconds`.
 */
export function growthTraffic(minRps: number, peakRps: number, growthPerMinute: number, settleSeconds = 600, holdSeconds = 600): { traffic: (t: number) => number; durationSeconds: number } {
  const rampSeconds = growthPerMinute > 0 && peakRps > minRps ? (60 * Math.log(peakRps / Math.max(minRps, 1e-9))) / Math.log(1 + growthPerMinute) : 0;
  return {
    traffic: (t) => (t < settleSeconds ? minRps : Math.min(peakRps, minRps * (1 + growthPerMinute) ** ((t - settleSeconds) / 60))),
    durationSeconds: Math.ceil(settleSeconds + rampSeconds + holdSeconds),
  };
}
