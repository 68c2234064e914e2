import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chart, Testing } from 'cdk8s';
import { HELLO_DEFAULT_PORT, HELLO_PATHS, HELLO_RUN_AS_UID } from '../../hello/contract.js';
import { PROBER_CONFIG_DIR, PROBER_DEFAULT_PORT, parseProberConfig } from '../../prober/index.js';
import { FLEET_LABEL, HelloApp, appSelector, parseFleetConfig, synthesizeFleet } from '../../infra/index.js';
import { allObjects, findOne, minimalInput, synth } from './support.js';

const DIGEST = `sha256:${'b'.repeat(64)}`;

test('every object carries the fleet label, and files are shared + one per app', () => {
  const m = synth({ fleet: 'f1', apps: [{ name: 'a', host: 'a.example.com' }, { name: 'b', host: 'b.example.com' }] });
  assert.deepEqual(m.files.map((f) => f.name), ['shared.yaml', 'app-a.yaml', 'app-b.yaml']);
  assert.deepEqual(m.selector, { [FLEET_LABEL]: 'f1' });
  for (const o of allObjects(m)) assert.equal(o.metadata.labels?.[FLEET_LABEL], 'f1', `${o.kind} ${o.metadata.name}`);
  // Namespaces come first in their file (apply order).
  assert.equal(m.files[1]!.objects[0]!.kind, 'Namespace');
});

test('Deployment: no replicas (HPA owns them), rollout never below capacity, PSS restricted, probes, drain', () => {
  const objects = allObjects(synth(minimalInput()));
  const d = findOne(objects, 'Deployment', 'web');
  assert.equal(d.spec.replicas, undefined);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } });
  const pod = d.spec.template.spec;
  assert.equal(pod.automountServiceAccountToken, false);
  assert.equal(pod.serviceAccountName, 'web');
  assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
  assert.equal(pod.securityContext.runAsNonRoot, true);
  const c = pod.containers[0];
  assert.deepEqual(c.securityContext, {
    allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
    runAsUser: HELLO_RUN_AS_UID, runAsGroup: HELLO_RUN_AS_UID, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
  });
  assert.ok(c.securityContext.runAsUser >= 10000);
  assert.equal(c.ports[0].containerPort, HELLO_DEFAULT_PORT);
  assert.equal(c.ports[0].hostPort, undefined);
  assert.equal(c.readinessProbe.httpGet.path, HELLO_PATHS.readiness);
  assert.equal(c.livenessProbe.httpGet.path, HELLO_PATHS.liveness);
  assert.equal(c.startupProbe.httpGet.port, 'http');
  assert.deepEqual(Object.keys(c.resources.requests).sort(), ['cpu', 'ephemeral-storage', 'memory']);
  assert.deepEqual(Object.keys(c.resources.limits).sort(), ['cpu', 'ephemeral-storage', 'memory']);
  // Grace period > preStop + hello's shutdown timeout (which bounds the drain).
  assert.deepEqual(c.lifecycle.preStop, { sleep: { seconds: 5 } });
  assert.ok(pod.terminationGracePeriodSeconds > 5 + 20, `grace ${pod.terminationGracePeriodSeconds}`);
  assert.deepEqual(pod.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey), ['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
  assert.equal(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
  assert.equal(pod.volumes[0].emptyDir.sizeLimit, '16Mi');
});

test('selectors are explicit and do not depend on construct ids', () => {
  const config = parseFleetConfig(minimalInput());
  const selectors = ['one', 'renamed-completely'].map((id) => {
    const chart = new Chart(Testing.app(), 'c');
    new HelloApp(chart, id, { app: config.apps[0]!, fleet: config });
    const d = Testing.synth(chart).find((o: { kind: string }) => o.kind === 'Deployment');
    return d.spec.selector;
  });
  assert.deepEqual(selectors[0], selectors[1]);
  assert.deepEqual(selectors[0], { matchLabels: appSelector('web') });
});

test('image: by tag, or by digest (the digest wins over the tag)', () => {
  const image = (img: unknown) => findOne(allObjects(synth(minimalInput({}, { image: img }))), 'Deployment', 'web').spec.template.spec.containers[0].image;
  assert.equal(image('ghcr.io/acme/hello:1.2.3'), 'ghcr.io/acme/hello:1.2.3');
  assert.equal(image({ repository: 'ghcr.io/acme/hello', tag: '1.2.3', digest: DIGEST }), `ghcr.io/acme/hello@${DIGEST}`);
});

test('Service, HPA, PDB and NetworkPolicy', () => {
  const objects = allObjects(synth(minimalInput({}, { scaling: { minReplicas: 3, maxReplicas: 10, targetCPUUtilization: 60 } })));
  const svc = findOne(objects, 'Service', 'web');
  assert.equal(svc.spec.type, 'ClusterIP');
  assert.deepEqual(svc.spec.selector, appSelector('web'));
  const hpa = findOne(objects, 'HorizontalPodAutoscaler', 'web');
  assert.equal(hpa.apiVersion, 'autoscaling/v2');
  assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [3, 10]);
  assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 60);
  assert.equal(hpa.spec.behavior.scaleUp.stabilizationWindowSeconds, 0);
  assert.equal(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds, 300);
  const pdb = findOne(objects, 'PodDisruptionBudget', 'web');
  assert.equal(pdb.spec.maxUnavailable, 1);
  assert.equal(pdb.spec.unhealthyPodEvictionPolicy, 'AlwaysAllow');
  const np = findOne(objects.filter((o) => o.metadata.namespace === 'hello-web'), 'NetworkPolicy');
  assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(np.spec.ingress[0].from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }]);
  assert.equal(np.spec.egress.length, 1, 'egress: DNS only');
  assert.deepEqual(np.spec.egress[0].ports.map((p: { port: number }) => p.port), [53, 53]);
});

test('probing the in-cluster Service lets the prober (and only it) in besides the ingress controller', () => {
  const objects = allObjects(synth(minimalInput({ monitoring: { prober: { probeVia: 'service' } } })));
  const np = findOne(objects.filter((o) => o.metadata.namespace === 'hello-web'), 'NetworkPolicy');
  assert.equal(np.spec.ingress[0].from.length, 2);
  assert.deepEqual(np.spec.ingress[0].from[1].podSelector.matchLabels['app.kubernetes.io/name'], 'hello-prober');
  const probe = findOne(objects, 'Probe');
  assert.deepEqual(probe.spec.targets.staticConfig.static, ['http://web.hello-web.svc:80/']);
  const cfg = parseProberConfig(findOne(objects, 'ConfigMap', 'hello-prober').data['prober.yml']);
  assert.deepEqual(cfg.targetPolicy.allow, ['web.hello-web.svc']);
  assert.deepEqual(cfg.targets.map((t) => t.target), ['http://web.hello-web.svc:80/']);
});

test('Ingress: class, cert-manager issuer, TLS, path / by default, HTTPS redirect', () => {
  const objects = allObjects(synth(minimalInput({ routing: { tls: { issuer: 'le-prod', issuerKind: 'Issuer' } } })));
  const ing = findOne(objects, 'Ingress', 'web');
  assert.equal(ing.spec.ingressClassName, 'nginx');
  assert.equal(ing.metadata.annotations['cert-manager.io/issuer'], 'le-prod');
  assert.equal(ing.metadata.annotations['nginx.ingress.kubernetes.io/force-ssl-redirect'], 'true');
  assert.deepEqual(ing.spec.tls, [{ hosts: ['web.example.com'], secretName: 'web-tls' }]);
  assert.equal(ing.spec.rules[0].http.paths[0].path, '/');
  assert.equal(ing.spec.rules[0].http.paths[0].backend.service.name, 'web');
});

test('Gateway API: HTTPRoute with HSTS, a redirect route, optional Gateway; no Ingress', () => {
  const objects = allObjects(synth(minimalInput({ routing: { kind: 'gateway', gateway: { parentRef: { name: 'edge', namespace: 'gw' }, create: true } } })));
  assert.equal(objects.filter((o) => o.kind === 'Ingress').length, 0);
  const route = findOne(objects, 'HTTPRoute', 'web');
  assert.equal(route.spec.parentRefs[0].name, 'edge');
  assert.deepEqual(route.spec.hostnames, ['web.example.com']);
  assert.match(route.spec.rules[0].filters[0].responseHeaderModifier.set[0].value, /^max-age=31536000/);
  const redirect = findOne(objects, 'HTTPRoute', 'web-https-redirect');
  assert.equal(redirect.spec.rules[0].filters[0].requestRedirect.scheme, 'https');
  const gw = findOne(objects, 'Gateway', 'edge');
  assert.equal(gw.metadata.namespace, 'gw');
  assert.deepEqual(gw.spec.listeners.map((l: { name: string }) => l.name), ['http', 'https-web-example-com']);
  const np = findOne(objects.filter((o) => o.metadata.namespace === 'hello-web'), 'NetworkPolicy');
  assert.equal(np.spec.ingress[0].from[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'], 'gw');
});

test('Namespace: PSS restricted labels, LimitRange, ResourceQuota sized from the app at max replicas + surge', () => {
  const objects = allObjects(synth(minimalInput({}, { scaling: { maxReplicas: 8 }, resources: { requests: { cpu: '250m', memory: '100Mi' }, limits: { cpu: '1', memory: '200Mi' } } })));
  const ns = findOne(objects, 'Namespace', 'hello-web');
  for (const mode of ['enforce', 'audit', 'warn']) assert.equal(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`], 'restricted');
  const quota = findOne(objects.filter((o) => o.metadata.namespace === 'hello-web'), 'ResourceQuota');
  // 8 replicas + 25 % surge = 10 pods.
  assert.equal(quota.spec.hard.pods, '10');
  assert.equal(quota.spec.hard['requests.cpu'], '2500m');
  assert.equal(quota.spec.hard['limits.cpu'], '10');
  assert.equal(quota.spec.hard['requests.memory'], '1000Mi');
  const lr = findOne(objects.filter((o) => o.metadata.namespace === 'hello-web'), 'LimitRange');
  assert.equal(lr.spec.limits[0].defaultRequest.cpu, '250m');
});

test('shared namespace layout: one namespace whose quota sums the apps', () => {
  const m = synth({ namespaces: { layout: 'shared', shared: 'apps' }, apps: [{ name: 'a', host: 'a.example.com' }, { name: 'b', host: 'b.example.com', scaling: { maxReplicas: 4 } }] });
  const objects = allObjects(m);
  assert.equal(objects.filter((o) => o.kind === 'Namespace').length, 2, 'apps + prober');
  const quota = findOne(objects.filter((o) => o.metadata.namespace === 'apps'), 'ResourceQuota');
  assert.equal(quota.spec.hard.pods, String(6 + 2 + 4 + 1));
});

test('prober: ConfigMap mounted as a directory with every app as a target, egress only to probed targets', () => {
  const m = synth({ apps: [{ name: 'a', host: 'a.example.com' }, { name: 'b', hosts: [{ host: 'b.example.com' }, { host: 'c.example.com', path: '/x' }] }] });
  const shared = m.files[0]!.objects;
  const cm = findOne(shared, 'ConfigMap', 'hello-prober');
  // The prober's own parser accepts the file (prober/ is the authority on its format).
  const cfg = parseProberConfig(cm.data['prober.yml']);
  assert.deepEqual(cfg.targets.map((t) => t.target), ['https://a.example.com/', 'https://b.example.com/', 'https://c.example.com/x']);
  assert.deepEqual(cfg.targets.map((t) => t.labels.app), ['a', 'b', 'b']);
  assert.deepEqual(cfg.targets.map((t) => t.intervalMs), [30_000, 30_000, 30_000]);
  assert.deepEqual(cfg.targetPolicy.allow, ['a.example.com', 'b.example.com', 'c.example.com'], 'allowlist: exactly the fleet hosts');
  assert.equal(cfg.modules.http_2xx?.prober, 'http');
  const d = findOne(shared, 'Deployment', 'hello-prober');
  const mount = d.spec.template.spec.containers[0].volumeMounts.find((v: { name: string }) => v.name === 'config');
  assert.equal(mount.mountPath, PROBER_CONFIG_DIR);
  assert.equal(mount.subPath, undefined, 'a subPath mount would never see ConfigMap updates');
  assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, PROBER_DEFAULT_PORT);
  const np = findOne(shared, 'NetworkPolicy', 'hello-prober');
  assert.deepEqual(np.spec.egress[1].to, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }]);
  assert.deepEqual(np.spec.egress[1].ports.map((p: { port: number }) => p.port), [80, 443]);
  const sm = findOne(shared, 'ServiceMonitor');
  assert.equal(sm.metadata.labels.release, 'kube-prometheus-stack');
  assert.equal(sm.spec.endpoints[0].path, '/metrics');
});

test('monitoring: Probe against the local or a shared prober, rules labelled for kube-prometheus-stack; off removes all', () => {
  const local = allObjects(synth(minimalInput({ monitoring: { labels: { release: 'kps' } } })));
  const probe = findOne(local, 'Probe', 'web');
  assert.equal(probe.spec.prober.url, `hello-prober.hello-edge-system.svc:${PROBER_DEFAULT_PORT}`);
  assert.equal(probe.metadata.labels.release, 'kps');
  assert.equal(findOne(local, 'PrometheusRule', 'web').metadata.labels.release, 'kps');
  const shared = synth(minimalInput({ monitoring: { prober: { mode: 'shared', url: 'blackbox.monitoring.svc:9115' } } }));
  assert.equal(findOne(allObjects(shared), 'Probe').spec.prober.url, 'blackbox.monitoring.svc:9115');
  assert.equal(shared.files[0]!.objects.length, 0, 'no local prober when a shared one is used');
  const off = allObjects(synth(minimalInput({ monitoring: { enabled: false } })));
  assert.deepEqual(off.filter((o) => /Probe|ServiceMonitor|PrometheusRule|ConfigMap/.test(o.kind)), []);
});

test('a bench recommendation without a CPU limit: no CPU limit, no CPU-limit quota, kube-score exemption with its reason', async () => {
  const { repoPath } = await import('./support.js');
  const config = parseFleetConfig(minimalInput({}, { resources: { fromBench: repoPath('test/fixtures/bench/results-v1.json') } }));
  const objects = allObjects(synthesizeFleet(config));
  const d = findOne(objects, 'Deployment', 'web');
  assert.equal(d.spec.template.spec.containers[0].resources.limits.cpu, undefined);
  assert.equal(d.metadata.annotations['kube-score/ignore'], 'container-resources');
  assert.match(d.metadata.annotations['hello-edge.dev/lint-exemptions'], /no CPU limit/);
  const quota = findOne(objects.filter((o) => o.metadata.namespace === 'hello-web'), 'ResourceQuota');
  assert.equal(quota.spec.hard['limits.cpu'], undefined);
  assert.equal(quota.spec.hard['requests.cpu'], String((4 + 1) * 1));
});

test('synthesis is deterministic', () => {
  const input = minimalInput();
  assert.deepEqual(synth(input), synth(input));
});

test('a created Gateway refuses more hosts than listeners allow, naming the field', () => {
  const apps = Array.from({ length: 64 }, (_, i) => ({ name: `a${i}`, host: `a${i}.example.com` }));
  assert.throws(() => synth({ routing: { kind: 'gateway', gateway: { create: true } }, apps }), /routing.gateway.create: true is not allowed with 64 hosts; a Gateway holds at most 64 listeners/);
  assert.doesNotThrow(() => synth({ routing: { kind: 'gateway' }, apps }));
});

test('prober egress CIDRs (load balancer addresses) are allowed on 80/443 beside the ingress namespace', () => {
  const shared = synth(minimalInput({ monitoring: { prober: { egressCidrs: ['203.0.113.0/24', '2001:db8::/32'] } } })).files[0]!.objects;
  const np = findOne(shared, 'NetworkPolicy', 'hello-prober');
  assert.deepEqual(np.spec.egress[1].to.slice(1), [{ ipBlock: { cidr: '203.0.113.0/24' } }, { ipBlock: { cidr: '2001:db8::/32' } }]);
  assert.deepEqual(np.spec.egress[1].ports.map((p: { port: number }) => p.port), [80, 443]);
});
