/**
 * The local control plane of test/cluster: a real etcd + kube-apiserver (and, when built,
 * kube-controller-manager, kube-scheduler and kwok with six fake nodes in three zones), started
 * by control-plane.sh in a temporary directory and stopped in `t.after`.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { startControlPlane } from '../support/cluster.js';
import { run } from '../support/run.js';
import { findTool, requireTool } from '../support/tools.js';

interface KubeList<T> {
  readonly items: T[];
}
interface KubeNode {
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  status: { conditions: { type: string; status: string }[] };
}
interface KubePod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: { phase: string; conditions?: { type: string; status: string }[] };
}

/** A container spec that passes Pod Security "restricted". */
function restrictedContainer(image: string): Record<string, unknown> {
  return {
    name: 'app',
    image,
    securityContext: {
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      runAsUser: 10001,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

function deployment(name: string, namespace: string, image: string, replicas: number): string {
  const labels = { 'app.kubernetes.io/name': name };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          containers: [restrictedContainer(image)],
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } },
          ],
        },
      },
    },
  });
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('local Kubernetes control plane (test/cluster/control-plane.sh)', { timeout: 300_000 }, async (t: TestContext) => {
  for (const tool of ['openssl', 'curl']) if (!requireTool(t, tool, `apt-get install -y ${tool}`)) return;
  const started = Date.now();
  const cp = await startControlPlane(t, false);
  if (!cp) return;
  t.diagnostic(`control plane started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  assert.equal(cp.startOutput.trim(), `export KUBECONFIG=${cp.kubeconfig}`);
  const kubectlBin = findTool('kubectl')!;
  const kubeconfig = cp.kubeconfig;

  const kubectl = (args: string[], input?: string) => run(kubectlBin, ['--kubeconfig', kubeconfig, ...args], { input });
  const kubectlJson = async <T>(args: string[]): Promise<T> => {
    const r = await kubectl([...args, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  };

  await t.test('the API server is ready', async () => {
    const r = await kubectl(['get', '--raw', '/readyz']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });

  await t.test('the CRDs are installed', async (t) => {
    const crds = await kubectlJson<KubeList<{ metadata: { name: string } }>>(['get', 'crd']);
    const names = crds.items.map((c) => c.metadata.name);
    if (names.length === 0) {
      t.skip('no CRD folder (infra/crds or ../shared/crds)');
      return;
    }
    for (const want of ['probes.monitoring.coreos.com', 'servicemonitors.monitoring.coreos.com', 'httproutes.gateway.networking.k8s.io']) {
      assert.ok(names.includes(want), `${want} missing from ${names.join(', ')}`);
    }
  });

  await t.test('six fake Ready nodes, two in each of three zones', async (t) => {
    if (!requireTool(t, 'kwok', 'bash test/cluster/build.sh')) return;
    const nodes = await kubectlJson<KubeList<KubeNode>>(['get', 'nodes']);
    assert.equal(nodes.items.length, 6);
    const perZone = new Map<string, number>();
    for (const node of nodes.items) {
      const ready = node.status.conditions.find((c) => c.type === 'Ready');
      assert.equal(ready?.status, 'True', `${node.metadata.name} not Ready`);
      assert.equal(node.metadata.labels['kubernetes.io/hostname'], node.metadata.name);
      assert.equal(node.metadata.annotations?.['kwok.x-k8s.io/node'], 'fake');
      const zone = node.metadata.labels['topology.kubernetes.io/zone'];
      perZone.set(zone, (perZone.get(zone) ?? 0) + 1);
    }
    assert.deepEqual([...perZone.entries()].sort(), [['zone-a', 2], ['zone-b', 2], ['zone-c', 2]]);
  });

  const ns = 'restricted-test';
  await t.test('Pod Security "restricted" rejects a privileged pod and admits a hardened one', async () => {
    const created = await kubectl(['create', 'namespace', ns]);
    assert.equal(created.code, 0, created.stderr);
    const labelled = await kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=latest']);
    assert.equal(labelled.code, 0, labelled.stderr);
    if (findTool('kube-controller-manager')) {
      // The ServiceAccount admission plugin is on: pods wait for the namespace's default SA.
      await waitFor('the default ServiceAccount', 30_000, async () => ((await kubectl(['-n', ns, 'get', 'serviceaccount', 'default'])).code === 0 ? true : undefined));
    }

    const privileged = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'privileged', namespace: ns },
      spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1', securityContext: { privileged: true } }] },
    });
    const rejected = await kubectl(['apply', '-f', '-'], privileged);
    assert.notEqual(rejected.code, 0, 'a privileged pod was admitted');
    assert.match(rejected.stderr, /violates PodSecurity "restricted:latest"/);
    assert.match(rejected.stderr, /privileged/);

    const hardened = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hardened', namespace: ns },
      spec: { automountServiceAccountToken: false, containers: [restrictedContainer('registry.invalid/app:1')] },
    });
    const admitted = await kubectl(['apply', '--dry-run=server', '-f', '-'], hardened);
    assert.equal(admitted.code, 0, admitted.stderr);
    assert.doesNotMatch(admitted.stderr, /Warning/);
  });

  await t.test('a Deployment rolls out onto fake nodes, spread across the zones', async (t) => {
    for (const tool of ['kube-controller-manager', 'kube-scheduler', 'kwok']) if (!requireTool(t, tool, 'bash test/cluster/build.sh')) return;
    assert.ok(cp.full);
    const applied = await kubectl(['apply', '-f', '-'], deployment('spread', ns, 'registry.invalid/hello:1', 3));
    assert.equal(applied.code, 0, applied.stderr);
    const rollout = await kubectl(['-n', ns, 'rollout', 'status', 'deployment/spread', '--timeout=90s']);
    assert.equal(rollout.code, 0, `${rollout.stdout}${rollout.stderr}`);

    const nodes = await kubectlJson<KubeList<KubeNode>>(['get', 'nodes']);
    const zoneOf = new Map(nodes.items.map((n) => [n.metadata.name, n.metadata.labels['topology.kubernetes.io/zone']]));
    const pods = await kubectlJson<KubeList<KubePod>>(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/name=spread']);
    assert.equal(pods.items.length, 3);
    for (const pod of pods.items) {
      assert.equal(pod.status.phase, 'Running', pod.metadata.name);
      assert.ok(pod.spec.nodeName?.startsWith('kwok-node-'), `${pod.metadata.name} on ${pod.spec.nodeName}`);
    }
    const zones = new Set(pods.items.map((p) => zoneOf.get(p.spec.nodeName ?? '')));
    assert.deepEqual([...zones].sort(), ['zone-a', 'zone-b', 'zone-c']);
  });

  await t.test('pods of a "never-ready" image run but never become Ready, so the rollout stalls', async (t) => {
    for (const tool of ['kube-controller-manager', 'kube-scheduler', 'kwok']) if (!requireTool(t, tool, 'bash test/cluster/build.sh')) return;
    const applied = await kubectl(['apply', '-f', '-'], deployment('stuck', ns, 'registry.invalid/never-ready:1', 1));
    assert.equal(applied.code, 0, applied.stderr);
    const pod = await waitFor('a Running "stuck" pod', 60_000, async () => {
      const pods = await kubectlJson<KubeList<KubePod>>(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/name=stuck']);
      return pods.items.find((p) => p.status.phase === 'Running');
    });
    assert.equal(pod.status.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    const rollout = await kubectl(['-n', ns, 'rollout', 'status', 'deployment/stuck', '--timeout=3s']);
    assert.notEqual(rollout.code, 0, 'the rollout of a never-ready image finished');
  });
});
