// hello-cli deploy / diff / destroy against a real kube-apiserver + etcd (and, when built,
// controller-manager, scheduler and kwok with fake nodes in three zones). Run as a user would:
// the CLI as a child process, the cluster read back with kubectl.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type FleetConfig, appFileName, inReleaseNamespace, loadFleetConfig, synthesizeFleet } from '../../../infra/index.js';
import { REPO_ROOT, startControlPlane, type ControlPlane } from '../../support/cluster.js';
import { run, type RunResult } from '../../support/run.js';
import { requireTool } from '../../support/tools.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const FLEET_LABEL = 'hello-edge.dev/fleet';

function fleetYaml(fleet: string, apps: string[], options: { image?: string; layout?: string; minReplicas?: number } = {}): string {
  return [
    `fleet: ${fleet}`,
    'namespaces:',
    `  layout: ${options.layout ?? 'per-app'}`,
    `  prefix: ${fleet}-`,
    ...(options.layout === 'shared' ? [`  shared: ${fleet}-apps`] : []),
    'monitoring:',
    '  prober:',
    `    namespace: ${fleet}-system`,
    'defaults:',
    `  image: ${options.image ?? 'ghcr.io/hello-edge/hello:0.1.0'}`,
    '  scaling:',
    `    minReplicas: ${options.minReplicas ?? 3}`,
    '    maxReplicas: 6',
    'apps:',
    ...apps.flatMap((app) => [`  - name: ${app}`, `    host: ${app}.example.com`]),
    '',
  ].join('\n');
}

async function writeConfig(dir: string, name: string, yaml: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, yaml);
  return file;
}

function cli(cp: ControlPlane, args: string[], timeoutMs = 240_000): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args, '--kubeconfig', cp.kubeconfig], { timeoutMs });
}

interface Listed {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
}

async function fleetObjects(cp: ControlPlane, fleet: string): Promise<string[]> {
  const kinds = 'namespaces,serviceaccounts,configmaps,limitranges,resourcequotas,services,deployments.apps,horizontalpodautoscalers.autoscaling,poddisruptionbudgets.policy,networkpolicies.networking.k8s.io,ingresses.networking.k8s.io,servicemonitors.monitoring.coreos.com,probes.monitoring.coreos.com,prometheusrules.monitoring.coreos.com';
  const out = JSON.parse(await cp.kubectl(['get', kinds, '-A', '-l', `${FLEET_LABEL}=${fleet}`, '-o', 'json'])) as { items: Listed[] };
  return out.items.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
}

function expectedObjects(config: string | FleetConfig): string[] {
  const manifests = synthesizeFleet(typeof config === 'string' ? loadFleetConfig(config) : config);
  return manifests.files.flatMap((f) => f.objects).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
}

test('hello-cli deploy, diff and destroy against a real control plane', { timeout: 900_000 }, async (t) => {
  if (!requireTool(t, 'kubectl', 'the kubectl package')) return;
  const cp = await startControlPlane(t, true);
  if (!cp) return;
  const dir = await mkdtemp(join(tmpdir(), 'hello-edge-deploy-'));

  await t.test('the one-app example: accepted, restricted namespace, no Pod Security warning, rollout waited for, second deploy changes nothing', async () => {
    const config = join(REPO_ROOT, 'examples', 'one-app.yaml');
    const first = await cli(cp, ['deploy', '-c', config, '--timeout', '3m', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const result = JSON.parse(first.stdout) as { changes: number; warnings: string[]; applied: { action: string }[]; rollouts: { done: boolean; desired: number; available: number }[] };
    assert.deepEqual(result.warnings, [], 'the API server returned warnings (Pod Security?)');
    assert.doesNotMatch(first.stderr, /would violate PodSecurity/);
    assert.equal(result.applied.length, expectedObjects(config).length);
    assert.ok(result.applied.every((a) => a.action === 'created'));
    assert.ok(result.rollouts.length >= 1 && result.rollouts.every((r) => r.done && r.available >= r.desired), JSON.stringify(result.rollouts));

    const ns = JSON.parse(await cp.kubectl(['get', 'namespace', 'hello-hello', '-o', 'json'])) as Listed;
    for (const mode of ['enforce', 'audit', 'warn']) assert.equal(ns.metadata.labels?.[`pod-security.kubernetes.io/${mode}`], 'restricted');
    // The namespace really enforces "restricted": a privileged pod is refused.
    const privileged = await run('kubectl', ['--kubeconfig', cp.kubeconfig, 'apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'hello-hello' }, spec: { containers: [{ name: 'c', image: 'x:1', securityContext: { privileged: true } }] } }),
    });
    assert.notEqual(privileged.code, 0);
    assert.match(privileged.stderr, /violates PodSecurity "restricted/);

    const second = await cli(cp, ['deploy', '-c', config, '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal((JSON.parse(second.stdout) as { changes: number }).changes, 0, 'a second deploy must change nothing');
    const diff = await cli(cp, ['diff', '-c', config]);
    assert.equal(diff.code, 0, `diff after deploy should be empty: ${diff.stdout}${diff.stderr}`);
    assert.match(diff.stdout, /no changes/);

    const destroyed = await cli(cp, ['destroy', '-c', config, '--timeout', '3m']);
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.deepEqual(await fleetObjects(cp, 'hello'), []);
  });

  await t.test('a 3-app fleet: spread over three zones, prune exactly one removed app, destroy leaves nothing', async () => {
    const three = await writeConfig(dir, 'three.yaml', fleetYaml('trio', ['alpha', 'beta', 'gamma']));
    const two = await writeConfig(dir, 'two.yaml', fleetYaml('trio', ['alpha', 'beta']));
    // Something else in the cluster that deploy must never touch: unlabelled, and another fleet's.
    await cp.kubectl(['create', 'configmap', 'bystander', '-n', 'default']);
    await cp.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-fleet', namespace: 'default', labels: { [FLEET_LABEL]: 'other' } } }));

    const diffBefore = await cli(cp, ['diff', '-c', three]);
    assert.equal(diffBefore.code, 1, 'diff exits 1 when a deploy would change something');
    assert.match(diffBefore.stdout, /create\s+apps\/Deployment trio-alpha\/alpha/);

    const dry = await cli(cp, ['deploy', '-c', three, '--dry-run=server', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(await fleetObjects(cp, 'trio'), [], 'a server dry run persists nothing');

    const deployed = await cli(cp, ['deploy', '-c', three, '--timeout', '4m']);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.deepEqual(await fleetObjects(cp, 'trio'), expectedObjects(three));

    // Topology spread: each app's 3 pods land in 3 different zones.
    const nodes = JSON.parse(await cp.kubectl(['get', 'nodes', '-o', 'json'])) as { items: Listed[] };
    const zoneOf = new Map(nodes.items.map((n) => [n.metadata.name, n.metadata.labels?.['topology.kubernetes.io/zone']]));
    for (const app of ['alpha', 'beta', 'gamma']) {
      const pods = JSON.parse(await cp.kubectl(['get', 'pods', '-n', `trio-${app}`, '-l', `app.kubernetes.io/instance=${app}`, '-o', 'json'])) as { items: Listed[] };
      assert.equal(pods.items.length, 3, `${app} has its 3 replicas`);
      const zones = new Set(pods.items.map((p) => zoneOf.get(p.spec?.nodeName ?? '')));
      assert.equal(zones.size, 3, `${app} pods spread over zones: ${[...zones].join(',')}`);
    }

    const before = await fleetObjects(cp, 'trio');
    const pruned = await cli(cp, ['deploy', '-c', two, '--json']);
    assert.equal(pruned.code, 0, pruned.stderr);
    const gammaObjects = synthesizeFleet(loadFleetConfig(three)).files.find((f) => f.name === appFileName('gamma'))!.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    const reported = (JSON.parse(pruned.stdout) as { pruned: { groupKind: string; namespace?: string; name: string }[] }).pruned.map((r) => `${r.groupKind.split('/').pop()}/${r.namespace ?? ''}/${r.name}`);
    assert.deepEqual(reported.sort(), [...gammaObjects].sort(), 'prune removes exactly the objects of the app that left the config');
    const after = await waitFor(() => fleetObjects(cp, 'trio'), (objs) => objs.every((o) => !o.includes('gamma')), 120_000);
    assert.deepEqual(after, before.filter((o) => !gammaObjects.includes(o)), 'only gamma objects are gone (its Probe, rules and namespace included)');

    const destroyed = await cli(cp, ['destroy', '-c', two, '--timeout', '3m']);
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.deepEqual(await fleetObjects(cp, 'trio'), []);
    const bystanders = await cp.kubectl(['get', 'configmaps', 'bystander', 'other-fleet', '-n', 'default', '-o', 'name']);
    assert.deepEqual(bystanders.trim().split('\n').sort(), ['configmap/bystander', 'configmap/other-fleet']);
  });

  await t.test('the one-app Helm chart installs into its release namespace with helm, owning it, and rolls out', async (st) => {
    const helm = requireTool(st, 'helm', 'bash test/cluster/build.sh tools');
    if (!helm) return;
    const chart = join(dir, 'chart');
    const config = join(REPO_ROOT, 'examples', 'one-app.yaml');
    const synth = await run(process.execPath, [CLI, 'synth', '-c', config, '--format', 'helm', '-o', chart]);
    assert.equal(synth.code, 0, synth.stderr);
    const namespace = 'hello-release';
    const install = await run(helm, [
      'install', 'hello-e2e', chart, '--namespace', namespace, '--create-namespace', '--set', 'namespace.create=true',
      '--kubeconfig', cp.kubeconfig, '--wait', '--timeout', '4m',
    ], { timeoutMs: 300_000 });
    assert.equal(install.code, 0, install.stderr);
    assert.doesNotMatch(install.stderr, /would violate PodSecurity/);
    const objects = await fleetObjects(cp, 'hello');
    assert.deepEqual(objects, expectedObjects(inReleaseNamespace(loadFleetConfig(config), namespace)), 'the chart installs the objects of the YAML output, in the release namespace');
    const labels = JSON.parse(await cp.kubectl(['get', 'namespace', namespace, '-o', 'json'])) as { metadata: { labels: Record<string, string> } };
    assert.equal(labels.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted', 'the chart took over the namespace helm created');
    // helm --wait (kstatus) returns once the Deployment is available at its current replica count
    // (the HPA may raise it to minReplicas afterwards).
    const deployment = JSON.parse(await cp.kubectl(['get', 'deployment', 'hello', '-n', namespace, '-o', 'json'])) as { spec: { replicas: number }; status: { availableReplicas?: number } };
    assert.ok(deployment.spec.replicas >= 1);
    assert.equal(deployment.status.availableReplicas, deployment.spec.replicas, 'helm --wait returned with the app available');
    const uninstall = await run(helm, ['uninstall', 'hello-e2e', '--namespace', namespace, '--kubeconfig', cp.kubeconfig, '--wait', '--timeout', '3m'], { timeoutMs: 240_000 });
    assert.equal(uninstall.code, 0, uninstall.stderr);
    // Kept (helm.sh/resource-policy: keep): the namespace holds helm's release record until the end.
    assert.deepEqual(await fleetObjects(cp, 'hello'), [`Namespace//${namespace}`], 'uninstall removes everything but the kept namespace');
  });

  await t.test('a rollout that can never become ready fails deploy with a clear message within its timeout', async () => {
    const broken = await writeConfig(dir, 'broken.yaml', fleetYaml('broken', ['stuck'], { image: 'ghcr.io/hello-edge/never-ready:0.1.0', minReplicas: 2 }));
    const result = await cli(cp, ['deploy', '-c', broken, '--timeout', '25s']);
    assert.equal(result.code, 7, `${result.stdout}${result.stderr}`);
    assert.match(result.stderr, /hello-cli: rollout did not complete within 25s: broken-stuck\/stuck 0\/2 available/);
    assert.match(result.stderr, /not ready/);
    await cli(cp, ['destroy', '-c', broken, '--no-wait']);
  });

  await t.test('namespaces the fleet does not own survive deploy, prune and destroy (issue 12 item 5)', async () => {
    // Prometheus' namespace, with something in it, and a namespace an older hello-edge labelled
    // as the fleet's without having created it.
    await cp.kubectl(['create', 'namespace', 'monitoring']);
    await cp.kubectl(['create', 'configmap', 'prometheus-data', '-n', 'monitoring']);
    await cp.kubectl(['create', 'namespace', 'own-legacy']);
    await cp.kubectl(['label', 'namespace', 'own-legacy', `${FLEET_LABEL}=own`]);
    await cp.kubectl(['create', 'configmap', 'keep', '-n', 'own-legacy']);
    const base = ['fleet: own', 'apps:', '  - name: web', '    host: web.example.com', '    image: ghcr.io/hello-edge/hello:0.1.0'];
    const inMonitoring = (adopt: boolean): string => [
      ...base, 'monitoring:', '  prometheusNamespace: prom', '  prober:', '    namespace: monitoring',
      ...(adopt ? ['namespaces:', '  adopt: [monitoring]'] : []), '',
    ].join('\n');
    const takeover = await writeConfig(dir, 'takeover.yaml', inMonitoring(false));
    const adopted = await writeConfig(dir, 'adopted.yaml', inMonitoring(true));
    const moved = await writeConfig(dir, 'moved.yaml', [...base, 'monitoring:', '  prometheusNamespace: prom', '  prober:', '    namespace: own-system', ''].join('\n'));
    const survivors = async (): Promise<string[]> => (await cp.kubectl(['get', 'namespace', 'monitoring', 'own-legacy', '-o', 'name'])).trim().split('\n');
    const monitoringLabels = async (): Promise<Record<string, string>> =>
      (JSON.parse(await cp.kubectl(['get', 'namespace', 'monitoring', '-o', 'json'])) as Listed).metadata.labels ?? {};

    const refused = await cli(cp, ['deploy', '-c', takeover, '--no-wait']);
    assert.equal(refused.code, 2, `deploy must refuse to take over monitoring: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /^hello-cli: namespaces\.adopt: namespace "monitoring" exists and has no hello-edge\.dev\/fleet label; .*list "monitoring" in namespaces\.adopt/);
    assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
    assert.deepEqual(await fleetObjects(cp, 'own'), ['Namespace//own-legacy'], 'nothing was applied');
    assert.equal((await monitoringLabels())[FLEET_LABEL], undefined);

    const deployed = await cli(cp, ['deploy', '-c', adopted, '--no-wait']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const labels = await monitoringLabels();
    assert.equal(labels[FLEET_LABEL], undefined, 'an adopted namespace is not labelled as the fleet\'s');
    assert.equal(labels['pod-security.kubernetes.io/enforce'], undefined, 'nor relabelled with Pod Security');
    assert.ok((await fleetObjects(cp, 'own')).includes('Deployment/monitoring/hello-prober'), 'the prober runs in the adopted namespace');
    assert.equal((await cp.kubectl(['get', 'limitranges,resourcequotas', '-n', 'monitoring', '-o', 'name'])).trim(), '');

    const pruned = await cli(cp, ['deploy', '-c', moved, '--no-wait', '--json']);
    assert.equal(pruned.code, 0, pruned.stderr);
    const prunedRefs = (JSON.parse(pruned.stdout) as { pruned: { groupKind: string; namespace?: string; name: string }[] }).pruned;
    assert.ok(prunedRefs.some((r) => r.namespace === 'monitoring' && r.name === 'hello-prober'), 'the prober left monitoring');
    assert.ok(!prunedRefs.some((r) => r.groupKind === 'Namespace'), `no namespace pruned: ${JSON.stringify(prunedRefs)}`);

    const destroyed = await cli(cp, ['destroy', '-c', moved, '--timeout', '3m']);
    assert.equal(destroyed.code, 0, destroyed.stderr);
    assert.deepEqual(await survivors(), ['namespace/monitoring', 'namespace/own-legacy']);
    assert.equal((await cp.kubectl(['get', 'configmap', 'prometheus-data', '-n', 'monitoring', '-o', 'name'])).trim(), 'configmap/prometheus-data');
    assert.equal((await cp.kubectl(['get', 'configmap', 'keep', '-n', 'own-legacy', '-o', 'name'])).trim(), 'configmap/keep');
    const left = await fleetObjects(cp, 'own');
    assert.deepEqual(left, ['Namespace//own-legacy'], 'only the namespace the fleet did not create is left with its label');
  });
});

async function waitFor<T>(get: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (ok(value) || performance.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
