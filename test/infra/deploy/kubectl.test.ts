// How kubectl failures become actionable messages, and the apply order. The end-to-end
// behaviour against a real API server is in deploy.e2e.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyStages, explainFailure, kubectl } from '../../../infra/index.js';
import type { FleetManifests } from '../../../infra/index.js';

// One code per kind of failure (the error catalogue in common/errors.ts), each with its exit status.
const cases: { stderr: string; expect: RegExp; code: string; exitCode: number }[] = [
  {
    stderr: 'E1126 The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\nUnable to connect to the server: dial tcp 127.0.0.1:1: connect: connection refused',
    expect: /^no cluster reachable through context "dev": .*Start the cluster, or pick one with --context or --kubeconfig\.$/,
    code: 'HELLO_ERR_CLUSTER_UNREACHABLE',
    exitCode: 4,
  },
  {
    stderr: 'error: resource mapping not found for name: "hello" namespace: "hello-hello" from "STDIN": no matches for kind "Probe" in version "monitoring.coreos.com/v1"\nensure CRDs are installed first',
    expect: /^the cluster does not know Probe \(monitoring\.coreos\.com\/v1\): install the Prometheus Operator \(or just its CRDs\), or set monitoring\.enabled: false in the fleet config\.$/,
    code: 'HELLO_ERR_KIND_MISSING',
    exitCode: 5,
  },
  {
    stderr: 'error: resource mapping not found for name: "r" namespace: "n" from "STDIN": no matches for kind "HTTPRoute" in version "gateway.networking.k8s.io/v1"',
    expect: /install the Gateway API CRDs, or use routing.kind: ingress in the fleet config/,
    code: 'HELLO_ERR_KIND_MISSING',
    exitCode: 5,
  },
  {
    stderr: 'Error from server (Forbidden): deployments.apps "hello" is forbidden: User "dev" cannot patch resource "deployments" in API group "apps" in the namespace "hello-hello"',
    expect: /^forbidden through context "dev": .*Ask for RBAC rights/,
    code: 'HELLO_ERR_FORBIDDEN',
    exitCode: 6,
  },
];

for (const c of cases) {
  test(`explains: ${c.stderr.slice(0, 60)}`, () => {
    const error = explainFailure({ context: 'dev' }, ['apply', '-f', '-'], c.stderr, 1);
    assert.match(error.message, c.expect);
    assert.equal(error.code, c.code);
    assert.equal(error.exitCode, c.exitCode);
  });
}

test('a missing kubectl is a ToolMissingError naming it', async () => {
  await assert.rejects(kubectl({ kubectl: '/nonexistent/kubectl' }, ['version']), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'HELLO_ERR_TOOL_MISSING');
    assert.match(error.message, /\/nonexistent\/kubectl was not found/);
    return true;
  });
});

test('apply stages: namespaces first, workloads after their service accounts, monitoring last', () => {
  const o = (apiVersion: string, kind: string, name: string) => ({ apiVersion, kind, metadata: { name, namespace: 'ns' } });
  const manifests: FleetManifests = {
    fleet: 'f',
    selector: { 'hello-edge.dev/fleet': 'f' },
    files: [
      {
        name: 'x.yaml',
        objects: [
          o('monitoring.coreos.com/v1', 'Probe', 'p'),
          o('apps/v1', 'Deployment', 'd'),
          o('v1', 'ServiceAccount', 'sa'),
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } },
          o('v1', 'Service', 's'),
        ],
      },
    ],
  };
  assert.deepEqual(
    applyStages(manifests).map((stage) => stage.map((x) => x.kind)),
    [['Namespace'], ['ServiceAccount'], ['Service'], ['Deployment'], ['Probe']],
  );
  assert.throws(
    () => applyStages({ ...manifests, files: [{ name: 'y.yaml', objects: [o('batch/v1', 'Job', 'j')] }] }),
    /deploy does not manage batch\/v1 Job \(j\)/,
  );
});
