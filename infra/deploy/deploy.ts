/**
 * `deploy`, `diff` and `destroy` for a synthesized fleet: server-side apply in dependency order
 * with our own field manager, pruning of this fleet's objects that left the config (selected by
 * the fleet label, among the kinds we manage only), and waiting for rollouts.
 */
import { InvalidArgumentError, RolloutFailedError, isHelloEdgeError } from '../../common/index.js';
import type { FleetManifests, KubeObject } from '../synth.js';
import { selectionWarnings, type PrometheusObject } from '../monitoring-selection.js';
import { kubectl, requireKubeconfig, type ClusterTarget } from './kubectl.js';
import { checkNamespaceOwnership, mayDelete } from './namespaces.js';
import { groupKind, managedGroupKind, managedKind, managedResources } from './order.js';

/** Default timings of deploy and destroy (the CLI shows them as durations). */
export const DEPLOY_DEFAULTS = {
  /** How long deploy waits for rollouts: 5 minutes. */
  rolloutTimeoutMs: 300_000,
  /** How often it polls the Deployments while waiting. */
  pollMs: 1000,
  /** How long destroy waits for every object (namespaces included) to be gone: 2 minutes. */
  destroyTimeoutMs: 120_000,
} as const;

/** Field manager of every apply, so `kubectl get --show-managed-fields` tells who set what. */
export const FIELD_MANAGER = 'hello-edge';

/** Identifies one object in the cluster. */
export interface ObjectRef {
  /** `group/Kind`, or `Kind` for the core group. */
  readonly groupKind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** What an apply did to one object. */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** The state of one Deployment's rollout. */
export interface RolloutStatus {
  readonly namespace: string;
  readonly name: string;
  /** Replicas the rollout must reach (the HPA's minReplicas when an HPA owns the Deployment). */
  readonly desired: number;
  readonly updated: number;
  readonly ready: number;
  readonly available: number;
  readonly done: boolean;
  /** Why the rollout cannot complete (progress deadline exceeded), when known. */
  readonly failure?: string;
}

/** Progress events, for a live display. */
export type DeployEvent =
  | { readonly type: 'applied'; readonly stage: number; readonly objects: number }
  | { readonly type: 'pruned'; readonly ref: ObjectRef }
  | { readonly type: 'rollout'; readonly statuses: readonly RolloutStatus[]; readonly elapsedMs: number };

/** Options of {@link deployFleet}. */
export interface DeployOptions extends ClusterTarget {
  /** `server`: let the API server validate and admit everything, persist nothing. */
  readonly dryRun?: 'server';
  /** Delete this fleet's objects that are no longer synthesized. Default true. */
  readonly prune?: boolean;
  /** Wait for every Deployment to be available. Default true (not in dry-run). */
  readonly wait?: boolean;
  /** Rollout deadline in ms. Default {@link DEPLOY_DEFAULTS}.rolloutTimeoutMs (5 min). */
  readonly timeoutMs?: number;
  /** Poll interval while waiting, in ms. Default {@link DEPLOY_DEFAULTS}.pollMs (1 s). */
  readonly pollMs?: number;
  readonly onProgress?: (event: DeployEvent) => void;
}

/** What a deploy did. */
export interface DeployResult {
  readonly fleet: string;
  readonly dryRun: boolean;
  readonly applied: readonly { readonly ref: ObjectRef; readonly action: ApplyAction }[];
  readonly pruned: readonly ObjectRef[];
  readonly rollouts: readonly RolloutStatus[];
  /**
   * API server warnings (Pod Security "would violate", deprecations), deduplicated, and which of
   * the fleet's monitoring objects no Prometheus object in the cluster selects.
   */
  readonly warnings: readonly string[];
  /** Objects created, configured or pruned. 0 means the cluster already matched. */
  readonly changes: number;
}

interface LiveObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A stable key of an object reference. */
export function refKey(ref: ObjectRef): string {
  return `${ref.groupKind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** Renders a reference as `kind/namespace/name`, for messages. */
export function formatRef(ref: ObjectRef): string {
  return `${ref.groupKind}${ref.namespace ? ` ${ref.namespace}/` : ' '}${ref.name}`;
}

function refOf(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): ObjectRef {
  const { namespace, name } = object.metadata;
  return namespace ? { groupKind: groupKind(object.apiVersion, object.kind), namespace, name } : { groupKind: groupKind(object.apiVersion, object.kind), name };
}

/** Every object of the fleet, grouped by apply stage (ascending). Unknown kinds are an error. */
export function applyStages(manifests: FleetManifests): KubeObject[][] {
  const stages: KubeObject[][] = [];
  for (const file of manifests.files) {
    for (const object of file.objects) {
      const kind = managedKind(object.apiVersion, object.kind);
      if (!kind) throw new InvalidArgumentError(`deploy does not manage ${object.apiVersion} ${object.kind} (${object.metadata.name}); add it to infra/deploy/order.ts`);
      (stages[kind.stage] ??= []).push(object);
    }
  }
  return stages.filter((stage) => stage !== undefined && stage.length > 0);
}

/** Lists this fleet's live objects among the managed kinds that the cluster serves. */
export async function listFleetObjects(target: ClusterTarget, manifests: FleetManifests): Promise<LiveObject[]> {
  const served = new Set((await kubectl(target, ['api-resources', '-o', 'name'])).stdout.split('\n').map((s) => s.trim()));
  const resources = managedResources().filter((r) => served.has(r));
  const selector = Object.entries(manifests.selector).map(([k, v]) => `${k}=${v}`).join(',');
  const { stdout } = await kubectl(target, ['get', resources.join(','), '--all-namespaces', '-l', selector, '-o', 'json']);
  return (JSON.parse(stdout) as { items: LiveObject[] }).items;
}

function listItems(stdout: string): LiveObject[] {
  if (stdout.trim() === '') return [];
  const parsed = JSON.parse(stdout) as LiveObject & { items?: LiveObject[] };
  return parsed.kind === 'List' || Array.isArray(parsed.items) ? (parsed.items ?? []) : [parsed];
}

// What a comparison ignores: fields the server owns or bumps. Keys are sorted so that two
// equal objects serialised in different key orders compare equal.
function comparable(object: LiveObject): string {
  const { metadata, status: _status, ...rest } = object;
  const { resourceVersion: _rv, generation: _g, managedFields: _mf, creationTimestamp: _ct, uid: _uid, ...meta } = metadata as Record<string, unknown>;
  return JSON.stringify({ ...rest, metadata: meta }, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

/**
 * Synthesized fleet -> cluster. Applies stage by stage with server-side apply, prunes what left the
 * config, then waits for rollouts. Running it twice in a row reports 0 changes.
 * @throws ExternalError with an actionable message (cluster unreachable, CRDs missing, forbidden,
 * rollout failed or timed out).
 */
export async function deployFleet(manifests: FleetManifests, options: DeployOptions = {}): Promise<DeployResult> {
  const dryRun = options.dryRun === 'server';
  requireKubeconfig(options);
  await checkNamespaceOwnership(options, manifests);
  const before = new Map((await listFleetObjects(options, manifests)).map((o) => [refKey(refOf(o)), o]));
  const applied: { ref: ObjectRef; action: ApplyAction }[] = [];
  const warnings = new Set<string>(await monitoringSelectionWarnings(options, manifests));
  const desiredKeys = new Set<string>();

  // A server dry run cannot admit objects into a namespace that does not exist yet (the namespace
  // itself is only dry-run). Those objects are reported as to be created, with a warning saying
  // the server did not check them, rather than failing the whole dry run.
  const existingNamespacesNow = dryRun ? await existingNamespaces(options) : undefined;
  const unchecked = new Map<string, number>();

  for (const [index, stageObjects] of applyStages(manifests).entries()) {
    let objects = stageObjects;
    if (existingNamespacesNow) {
      const pending = objects.filter((o) => o.metadata.namespace !== undefined && !existingNamespacesNow.has(o.metadata.namespace));
      for (const o of pending) {
        applied.push({ ref: refOf(o), action: 'created' });
        desiredKeys.add(refKey(refOf(o)));
        unchecked.set(o.metadata.namespace!, (unchecked.get(o.metadata.namespace!) ?? 0) + 1);
      }
      objects = objects.filter((o) => !pending.includes(o));
      if (objects.length === 0) continue;
    }
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
    const args = ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-o', 'json', '-f', '-'];
    if (dryRun) args.push('--dry-run=server');
    const result = await kubectl(options, args, list);
    result.warnings.forEach((w) => warnings.add(w));
    for (const live of listItems(result.stdout)) {
      const ref = refOf(live);
      desiredKeys.add(refKey(ref));
      const old = before.get(refKey(ref));
      let action: ApplyAction;
      if (!old) action = 'created';
      else if (dryRun) action = comparable(old) === comparable(live) ? 'unchanged' : 'configured';
      else action = old.metadata.resourceVersion === live.metadata.resourceVersion ? 'unchanged' : 'configured';
      applied.push({ ref, action });
    }
    options.onProgress?.({ type: 'applied', stage: index, objects: objects.length });
  }

  for (const [namespace, count] of unchecked) {
    warnings.add(`namespace ${namespace} does not exist yet: its ${count} object(s) were not checked by the server in this dry run`);
  }

  const pruned: ObjectRef[] = [];
  if (options.prune ?? true) {
    const stale = [...before.values()].filter((o) => mayDelete(o.kind, o.metadata, manifests.fleet)).map(refOf).filter((ref) => !desiredKeys.has(refKey(ref)));
    pruned.push(...(await deleteObjects(options, stale, dryRun, (ref) => options.onProgress?.({ type: 'pruned', ref }))));
  }

  let rollouts: RolloutStatus[] = [];
  if (!dryRun && (options.wait ?? true)) {
    rollouts = await waitForRollouts(options, manifests, options.timeoutMs ?? DEPLOY_DEFAULTS.rolloutTimeoutMs, options.pollMs ?? DEPLOY_DEFAULTS.pollMs, options.onProgress);
  }
  const changes = applied.filter((a) => a.action !== 'unchanged').length + pruned.length;
  return { fleet: manifests.fleet, dryRun, applied, pruned, rollouts, warnings: [...warnings], changes };
}

const SELECTED_KINDS = new Set(['ServiceMonitor', 'Probe', 'PrometheusRule']);

/**
 * Warnings for monitoring objects of the fleet that no Prometheus object in the cluster selects;
 * none when the fleet has no such objects or the cluster has no Prometheus object (or no
 * Prometheus Operator, or we may not list them): then nothing can be known.
 */
async function monitoringSelectionWarnings(target: ClusterTarget, manifests: FleetManifests): Promise<string[]> {
  if (!manifests.files.some((f) => f.objects.some((o) => SELECTED_KINDS.has(o.kind)))) return [];
  let prometheuses: PrometheusObject[];
  try {
    const { stdout } = await kubectl(target, ['get', 'prometheuses.monitoring.coreos.com', '--all-namespaces', '-o', 'json']);
    prometheuses = (JSON.parse(stdout) as { items: PrometheusObject[] }).items;
  } catch (error) {
    if (isHelloEdgeError(error)) return []; // no Prometheus Operator, or not allowed to list: nothing to know
    throw error;
  }
  return selectionWarnings(manifests, prometheuses);
}

/** Names of the namespaces that exist in the cluster now. */
async function existingNamespaces(target: ClusterTarget): Promise<Set<string>> {
  const { stdout } = await kubectl(target, ['get', 'namespaces', '-o', 'name']);
  return new Set(stdout.split('\n').map((line) => line.trim().replace(/^namespace\//, '')).filter(Boolean));
}

/** Deletes objects in reverse apply order, namespaces last; returns what was deleted. */
async function deleteObjects(target: ClusterTarget, refs: readonly ObjectRef[], dryRun: boolean, onDeleted: (ref: ObjectRef) => void): Promise<ObjectRef[]> {
  const stageOf = (ref: ObjectRef): number => managedGroupKind(ref.groupKind)?.stage ?? 0;
  const ordered = [...refs].sort((a, b) => stageOf(b) - stageOf(a));
  const deleted: ObjectRef[] = [];
  for (const ref of ordered) {
    const resource = managedGroupKind(ref.groupKind)?.resource;
    if (!resource) continue;
    const args = ['delete', resource, ref.name, '--ignore-not-found', '--wait=false'];
    if (ref.namespace) args.push('-n', ref.namespace);
    if (dryRun) args.push('--dry-run=server');
    await kubectl(target, args);
    deleted.push(ref);
    onDeleted(ref);
  }
  return deleted;
}

/** The desired replica floor of each Deployment: its HPA's minReplicas, else spec.replicas, else 1. */
function replicaFloors(manifests: FleetManifests): Map<string, number> {
  const floors = new Map<string, number>();
  const objects = manifests.files.flatMap((f) => f.objects);
  for (const o of objects) {
    if (o.kind === 'Deployment') floors.set(`${o.metadata.namespace}/${o.metadata.name}`, Number((o.spec as { replicas?: number })?.replicas ?? 1));
  }
  for (const o of objects) {
    if (o.kind !== 'HorizontalPodAutoscaler') continue;
    const spec = o.spec as { minReplicas?: number; scaleTargetRef?: { kind: string; name: string } };
    if (spec.scaleTargetRef?.kind === 'Deployment') floors.set(`${o.metadata.namespace}/${spec.scaleTargetRef.name}`, spec.minReplicas ?? 1);
  }
  return floors;
}

function rolloutStatus(live: LiveObject, floor: number): RolloutStatus {
  const status = (live.status ?? {}) as {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
  const desired = Math.max(floor, Number((live.spec as { replicas?: number })?.replicas ?? 1));
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const observed = (status.observedGeneration ?? 0) >= (live.metadata.generation ?? 0);
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  const failure = progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded' ? progressing.message ?? 'progress deadline exceeded' : undefined;
  const base = {
    namespace: live.metadata.namespace ?? '',
    name: live.metadata.name,
    desired,
    updated,
    ready: status.readyReplicas ?? 0,
    available,
    done: observed && updated >= desired && available >= desired && (status.replicas ?? 0) === updated,
  };
  return failure ? { ...base, failure } : base;
}

/** Why the pods of a Deployment are not ready, as short phrases (for the failure message). */
async function podTrouble(target: ClusterTarget, namespace: string, deployment: LiveObject): Promise<string> {
  const selector = ((deployment.spec as { selector?: { matchLabels?: Record<string, string> } })?.selector?.matchLabels) ?? {};
  const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
  if (!labels) return '';
  try {
    const { stdout } = await kubectl(target, ['get', 'pods', '-n', namespace, '-l', labels, '-o', 'json']);
    const pods = (JSON.parse(stdout) as { items: LiveObject[] }).items;
    const reasons = pods.slice(0, 3).map((pod) => {
      const status = (pod.status ?? {}) as {
        phase?: string;
        conditions?: { type: string; status: string; reason?: string; message?: string }[];
        containerStatuses?: { state?: { waiting?: { reason?: string } } }[];
      };
      const waiting = status.containerStatuses?.map((c) => c.state?.waiting?.reason).find(Boolean);
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
      const why = scheduled ? `unschedulable: ${scheduled.message ?? scheduled.reason}` : waiting ?? (ready?.status === 'False' ? `not ready${ready.reason ? ` (${ready.reason})` : ''}` : status.phase ?? 'unknown');
      return `${pod.metadata.name}: ${why}`;
    });
    return reasons.length ? `; pods: ${reasons.join(', ')}` : '; no pods were created (check the ReplicaSet events: quota, admission)';
  } catch {
    return '';
  }
}

/** Polls the fleet's Deployments until all are available, one failed, or the deadline passed. */
export async function waitForRollouts(
  target: ClusterTarget,
  manifests: FleetManifests,
  timeoutMs: number,
  pollMs: number,
  onProgress?: (event: DeployEvent) => void,
): Promise<RolloutStatus[]> {
  const floors = replicaFloors(manifests);
  if (floors.size === 0) return [];
  const namespaces = [...new Set([...floors.keys()].map((k) => k.split('/')[0]!))];
  const selector = Object.entries(manifests.selector).map(([k, v]) => `${k}=${v}`).join(',');
  const started = performance.now();
  for (;;) {
    const live: LiveObject[] = [];
    for (const ns of namespaces) {
      const { stdout } = await kubectl(target, ['get', 'deployments.apps', '-n', ns, '-l', selector, '-o', 'json']);
      live.push(...(JSON.parse(stdout) as { items: LiveObject[] }).items);
    }
    const byKey = new Map(live.map((d) => [`${d.metadata.namespace}/${d.metadata.name}`, d]));
    const statuses = [...floors.entries()].map(([key, floor]) => {
      const d = byKey.get(key);
      const [namespace, name] = key.split('/') as [string, string];
      return d ? rolloutStatus(d, floor) : { namespace, name, desired: floor, updated: 0, ready: 0, available: 0, done: false };
    });
    const elapsedMs = performance.now() - started;
    onProgress?.({ type: 'rollout', statuses, elapsedMs });
    if (statuses.every((s) => s.done)) return statuses;
    const failed = statuses.find((s) => s.failure);
    const timedOut = elapsedMs >= timeoutMs;
    if (failed || timedOut) {
      const bad = failed ? [failed] : statuses.filter((s) => !s.done);
      const details = await Promise.all(
        bad.map(async (s) => `${s.namespace}/${s.name} ${s.available}/${s.desired} available, ${s.updated} updated${s.failure ? ` (${s.failure})` : ''}${await podTrouble(target, s.namespace, byKey.get(`${s.namespace}/${s.name}`) ?? ({ metadata: { name: s.name } } as LiveObject))}`),
      );
      const head = failed ? 'rollout failed' : `rollout did not complete within ${Math.round(timeoutMs / 1000)}s`;
      throw new RolloutFailedError(`${head}: ${details.join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** One difference between the synthesized fleet and the cluster. */
export interface DiffEntry {
  readonly ref: ObjectRef;
  readonly action: 'create' | 'update' | 'prune';
}

/** What a deploy would change (server-side dry run), without changing anything. */
export async function diffFleet(manifests: FleetManifests, target: ClusterTarget = {}): Promise<{ readonly entries: readonly DiffEntry[]; readonly diff: string }> {
  const result = await deployFleet(manifests, { ...target, dryRun: 'server', wait: false });
  const entries: DiffEntry[] = [
    ...result.applied.filter((a) => a.action !== 'unchanged').map((a) => ({ ref: a.ref, action: a.action === 'created' ? ('create' as const) : ('update' as const) })),
    ...result.pruned.map((ref) => ({ ref, action: 'prune' as const })),
  ];
  // kubectl diff gives the field-level view; it exits 1 when there are differences. Like the dry
  // run, it cannot look into namespaces that do not exist yet: their objects are all "create".
  const existing = await existingNamespaces(target);
  const objects = manifests.files.flatMap((f) => f.objects).filter((o) => o.metadata.namespace === undefined || existing.has(o.metadata.namespace));
  const { stdout: diff } = await kubectl(
    target,
    ['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '--force-conflicts', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    [0, 1],
  );
  return { entries, diff };
}

/** Options of {@link destroyFleet}. */
export interface DestroyOptions extends ClusterTarget {
  /** Wait until every object (namespaces included) is gone. Default true. */
  readonly wait?: boolean;
  /** Deadline of that wait in ms. Default {@link DEPLOY_DEFAULTS}.destroyTimeoutMs (2 min). */
  readonly timeoutMs?: number;
  readonly onProgress?: (event: DeployEvent) => void;
}

/**
 * Removes every object of the fleet (by the fleet label), namespaces last; a namespace only when
 * the fleet created it (its owner annotation), so an adopted one and what else is in it survive.
 */
export async function destroyFleet(manifests: FleetManifests, options: DestroyOptions = {}): Promise<{ readonly deleted: readonly ObjectRef[] }> {
  requireKubeconfig(options);
  const deletable = async (): Promise<LiveObject[]> => (await listFleetObjects(options, manifests)).filter((o) => mayDelete(o.kind, o.metadata, manifests.fleet));
  const deleted = await deleteObjects(options, (await deletable()).map(refOf), false, (ref) => options.onProgress?.({ type: 'pruned', ref }));
  if (options.wait ?? true) {
    const deadline = performance.now() + (options.timeoutMs ?? DEPLOY_DEFAULTS.destroyTimeoutMs);
    for (;;) {
      const left = await deletable();
      if (left.length === 0) break;
      if (performance.now() >= deadline) {
        const names = left.slice(0, 5).map((o) => formatRef(refOf(o))).join(', ');
        throw new RolloutFailedError(`destroy: ${left.length} object(s) still present after the deadline (${names}); namespaces stay Terminating when the cluster has no controller-manager`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  return { deleted };
}
