// The monitoring chain, end to end with the real parts: fleet config -> hello-cli deploy -> a real
// API server -> the real Prometheus Operator (v0.93.0) selecting our ServiceMonitor, Probe and
// PrometheusRule objects for a Prometheus object configured like kube-prometheus-stack's -> an
// upstream Prometheus 3 running the operator's config and rule files -> real scrapes of real
// hello and prober processes serving the fake pods' addresses -> alerts, drilled with outages.
// Everything runs inside a network namespace this test makes; no packet leaves it.
// docs/MONITORING.md describes the set-up and records the drill's times.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseDuration } from '../../common/index.js';
import { BURN_RATE_WINDOWS, loadFleetConfig, scaleToPeriod, slowRatioExpr, synthesizeFleet, type KubeObject } from '../../infra/index.js';
import { spawnLogged } from '../support/child.js';
import { REPO_ROOT, startControlPlane, type ControlPlane } from '../support/cluster.js';
import { createNetNamespace, type NetNamespace } from '../support/netns.js';
import { run, type RunResult } from '../support/run.js';
import { requireTool, toolCacheBin } from '../support/tools.js';
import { alertKey, runDrill, type DrillOptions, type DrillResult, type ExpectedAlert } from './drill.js';
import { expectedFromObjects, FLEETS, fleetYaml, selected, SLO_THRESHOLD, SLOW_DELAY_MS, T, type FleetSpec } from './fleets.js';
import { jobNames, kubePrometheusStackPrometheus, localize, PROMETHEUS_NAMESPACE, readGenerated, ruleGroups, startOperator, type Generated } from './operator.js';
import { PrometheusApi, waitFor } from './prometheus-api.js';
import { serveFleets, type Served } from './serve.js';

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
const OPERATOR_VERSION = 'v0.93.0';
/** What build.sh builds as prometheus3 (Go module v0.316.0). */
const PROMETHEUS_VERSION = 'v3.16.0';
const PROMETHEUS_URL = 'http://127.0.0.1:9090';
const LIVE = FLEETS.filter(selected);

/** Everything the subtests share. */
interface Chain {
  readonly ns: NetNamespace;
  readonly cp: ControlPlane;
  readonly dir: string;
  readonly configs: ReadonlyMap<string, string>;
  readonly deploys: ReadonlyMap<string, RunResult>;
  readonly generated: Generated;
}

function cli(ns: NetNamespace, args: readonly string[], timeoutMs = 240_000): Promise<RunResult> {
  return ns.run(process.execPath, [CLI, ...args], { timeoutMs });
}

function requireTools(t: TestContext): boolean {
  const hint = 'build it with: bash test/cluster/build.sh monitoring';
  return Boolean(requireTool(t, 'prometheus-operator', hint) && requireTool(t, 'prometheus3', hint) && requireTool(t, 'openssl', 'apt-get install openssl')
    && requireTool(t, 'prometheus-blackbox-exporter', 'apt-get install prometheus-blackbox-exporter'));
}

/** Namespace, control plane with the operator's CRDs, the Prometheus object, the five fleets, the operator. */
async function setUp(t: TestContext): Promise<Chain | undefined> {
  if (!requireTools(t)) return undefined;
  const operatorCrds = join(toolCacheBin(), '..', 'share', `prometheus-operator-${OPERATOR_VERSION}`, 'crds');
  assert.ok(existsSync(operatorCrds), `${operatorCrds} is missing: run bash test/cluster/build.sh monitoring`);
  const ns = await createNetNamespace(t);
  if (!ns) return undefined;
  const started = performance.now();
  const cp = await startControlPlane(t, true, { wrap: ns.wrap, crdDirs: [join(REPO_ROOT, 'infra', 'crds'), operatorCrds] });
  if (!cp) return undefined;
  const cpReady = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'hello-edge-chain-'));
  // The Prometheus object first, so that deploy can check the fleets' labels against it; and the
  // shared exporter's Service, which the "ext" fleet's Probes send their requests to.
  await cp.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: PROMETHEUS_NAMESPACE } },
      kubePrometheusStackPrometheus(PROMETHEUS_VERSION, `${T.interval}s`, `${T.evaluation}s`),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'blackbox-exporter', namespace: PROMETHEUS_NAMESPACE }, spec: { ports: [{ name: 'http', port: 9115 }] } },
    ],
  }));
  const configs = new Map(FLEETS.map((f) => {
    const file = join(dir, `${f.name}.yaml`);
    writeFileSync(file, fleetYaml(f));
    return [f.name, file] as const;
  }));
  const deploys = new Map(await Promise.all(FLEETS.map(async (f) =>
    [f.name, await cli(ns, ['deploy', '-c', configs.get(f.name)!, '--kubeconfig', cp.kubeconfig, '--timeout', '3m', ...(selected(f) ? [] : ['--no-wait'])])] as const)));
  for (const [name, result] of deploys) assert.equal(result.code, 0, `deploy ${name}: ${result.stderr}`);
  const deployed = performance.now();
  const operator = startOperator(t, ns, cp, requireTool(t, 'prometheus-operator')!);
  const jobCount = LIVE.flatMap((f) => expectedFromObjects(objectsOf(configs, f)).jobs).length;
  const generated = await waitFor('the operator to generate config, rule files and the StatefulSet', async () => {
    const g = await readGenerated(cp).catch(() => undefined);
    return g && jobNames(g.config).length >= jobCount && g.args.length > 0 ? g : undefined;
  }, 120_000, 1000, async () => operator.output());
  t.diagnostic(`set-up: control plane ${seconds(started, cpReady)} s, ${FLEETS.length} fleets deployed ${seconds(cpReady, deployed)} s, operator output ${seconds(deployed, performance.now())} s`);
  return { ns, cp, dir, configs, deploys, generated };
}

const seconds = (from: number, to: number): number => Math.round((to - from) / 1000);

function objectsOf(configs: ReadonlyMap<string, string>, f: FleetSpec): KubeObject[] {
  return synthesizeFleet(loadFleetConfig(configs.get(f.name)!)).files.flatMap((x) => x.objects);
}

async function checkSelection(chain: Chain): Promise<void> {
  const { cp, configs, deploys, generated } = chain;
  const expected = LIVE.map((f) => expectedFromObjects(objectsOf(configs, f)));
  assert.deepEqual(jobNames(generated.config), expected.flatMap((e) => e.jobs).sort());
  assert.deepEqual(ruleGroups(generated), expected.flatMap((e) => e.groups).sort());
  // Every rule file the operator wrote is one of the selected fleets' PrometheusRules.
  const ruleObjects = LIVE.flatMap((f) => objectsOf(configs, f).filter((o) => o.kind === 'PrometheusRule').map((o) => `${o.metadata.namespace}-${o.metadata.name}-`));
  const files = [...generated.ruleFiles.values()].flatMap((m) => [...m.keys()]);
  assert.equal(files.length, ruleObjects.length);
  for (const file of files) assert.ok(ruleObjects.some((prefix) => file.startsWith(prefix)), `unexpected rule file ${file}`);
  for (const f of FLEETS) {
    // The unselected fleets' objects are in the cluster all the same; deploy warned about them.
    const probes = JSON.parse(await cp.kubectl(['get', 'probes.monitoring.coreos.com', '-A', '-l', `hello-edge.dev/fleet=${f.name}`, '-o', 'json'])) as { items: unknown[] };
    assert.equal(probes.items.length, f.apps.length, `${f.name}'s Probes are in the cluster`);
    const warned = [...deploys.get(f.name)!.stderr.matchAll(/warning: no Prometheus selects \d+ (\w+)\(s\) of fleet /g)].map((m) => m[1]).sort();
    assert.deepEqual(warned, selected(f) ? [] : ['Probe', 'PrometheusRule', 'ServiceMonitor'], `deploy ${f.name}: ${deploys.get(f.name)!.stderr}`);
  }
  assert.match(deploys.get('other')!.stderr, /monitoring labels: release=other-stack\): monitoring\/kube-prometheus-stack-prometheus selects release=kube-prometheus-stack \(probeSelector\) in namespaces matching everything/);
  const synth = await run(process.execPath, [CLI, 'synth', '-c', configs.get('nolabel')!, '-o', join(chain.dir, 'synth-nolabel')]);
  assert.equal(synth.code, 0, synth.stderr);
  assert.match(synth.stderr, /warning: monitoring.labels \{\} has no "release" label/);
}

async function startPrometheus(t: TestContext, chain: Chain): Promise<void> {
  const { ns, cp, dir, generated } = chain;
  const rulesDir = join(dir, 'rules');
  for (const [configMap, files] of generated.ruleFiles) {
    mkdirSync(join(rulesDir, configMap), { recursive: true });
    for (const [name, text] of files) writeFileSync(join(rulesDir, configMap, name), text);
  }
  const paths = {
    configFile: join(dir, 'prometheus.yaml'), rulesDir, webConfigFile: join(dir, 'web-config.yaml'),
    storageDir: join(dir, 'tsdb'), kubeconfig: cp.kubeconfig, listenAddress: '127.0.0.1:9090',
  };
  const local = localize(generated, paths);
  t.diagnostic(`Prometheus runs the operator's config with these changes only:\n- ${local.changes.join('\n- ')}`);
  writeFileSync(paths.configFile, local.config);
  writeFileSync(paths.webConfigFile, generated.webConfig);
  const prometheus = spawnLogged(t, ...ns.wrap(requireTool(t, 'prometheus3')!, local.args));
  await waitFor('Prometheus to be ready', async () => ((await ns.get(`${PROMETHEUS_URL}/-/ready`).catch(() => undefined))?.status === 200 ? true : undefined), 30_000, 250, async () => prometheus.output());
}

/** The Validate step: hello-cli check-monitoring passes for each fleet, and Prometheus agrees when asked directly. */
async function validate(t: TestContext, chain: Chain, api: PrometheusApi): Promise<void> {
  for (const f of LIVE) {
    const check = () => cli(chain.ns, ['check-monitoring', '-c', chain.configs.get(f.name)!, '--prometheus', PROMETHEUS_URL]);
    const checked = await waitFor(`hello-cli check-monitoring for fleet ${f.name} to pass`, async () => {
      const result = await check();
      return result.code === 0 ? result : undefined;
    }, 90_000, 2000, async () => (await check()).stdout);
    t.diagnostic(`check-monitoring ${f.name}:\n${checked.stdout}`);
  }
  const targets = await api.targets();
  for (const f of LIVE) {
    if (f.prober === 'local') {
      const prober = targets.filter((x) => x.scrapePool === `serviceMonitor/${f.name}-system/hello-prober/0`);
      assert.ok(prober.length === 2 && prober.every((x) => x.health === 'up'), `two prober pods up for ${f.name}: ${JSON.stringify(prober)}`);
    }
    for (const app of f.apps) {
      const pool = targets.filter((x) => x.scrapePool === `probe/${f.name}-${app}/${app}`);
      assert.ok(pool.length === 1 && pool[0]!.health === 'up', JSON.stringify(pool));
      const success = await api.query(`probe_success{app="${app}"}`);
      assert.ok(success.length >= 1 && success.every((s) => s.value[1] === '1'), `probe_success of ${app}: ${JSON.stringify(success)}`);
      assert.deepEqual([...new Set(success.map((s) => s.metric.job))].sort(), f.prober === 'local' ? ['hello-edge-probe', 'hello-prober'] : ['hello-edge-probe']);
      assert.equal((await api.query(`probe_duration_seconds{app="${app}",job="hello-edge-probe"}`)).length, 1, `probe_duration_seconds of ${app}`);
      if (f.prober === 'local') assert.ok((await api.query(`probe_duration_seconds_count{app="${app}"}`)).length >= 1, `latency histogram of ${app}`);
    }
  }
  const unhealthy = (await api.ruleGroups()).flatMap((g) => g.rules.filter((r) => r.health !== 'ok').map((r) => `${g.name}/${r.name}: ${r.lastError}`));
  assert.deepEqual(unhealthy, []);
  assert.deepEqual((await api.alerts()).map((a) => alertKey(a.labels)), []);
}

/** Drills, each recorded (printed, and written to $HELLO_EDGE_DRILL_REPORT as JSON when set). */
class Drills {
  readonly results = new Map<string, DrillResult & { probeZeroAfter?: number; slowProbes: number }>();

  constructor(private readonly t: TestContext, readonly api: PrometheusApi) {}

  /** Runs a drill and records it with the slow probes (over the SLO threshold) of `app` meanwhile. */
  async run(name: string, app: string, expected: readonly ExpectedAlert[], inject: () => Promise<void>, recover: () => Promise<void>, options?: DrillOptions): Promise<DrillResult> {
    const result = await runDrill(this.api, expected, inject, recover, options);
    const window = Math.ceil(Date.now() / 1000 - result.injectedAt);
    const le = Number(SLO_THRESHOLD.replace('ms', '')) / 1000;
    const slow = await this.api.query(`sum(increase(probe_duration_seconds_count{app="${app}"}[${window}s])) - sum(increase(probe_duration_seconds_bucket{app="${app}",le="${le}"}[${window}s]))`);
    this.results.set(name, { ...result, slowProbes: Math.round(Number(slow[0]?.value[1] ?? 0)) });
    this.t.diagnostic(`drill ${name}: ${result.alerts.map((a) => `${a.alert} pending +${a.pendingAfter}s firing +${a.firingAfter}s`).join('; ')}; `
      + `${result.resolvedAfter === null ? 'resolution not awaited' : `resolved ${result.resolvedAfter}s after recovery`}; seen: ${result.seen.join(', ')}; probes of ${app} over ${SLO_THRESHOLD} meanwhile: ${this.results.get(name)!.slowProbes}`);
    return result;
  }

  /** Seconds from the outage to the first probe_success 0 that the Probe path stored. */
  async probeZeroAfter(name: string, app: string): Promise<number> {
    const result = this.results.get(name)!;
    const zeros = (await this.api.samples(`probe_success{app="${app}",job="hello-edge-probe"}`, Date.now() / 1000 - result.injectedAt + 5))
      .flatMap((s) => s.values).filter(([ts, v]) => ts >= result.injectedAt - 1 && v === '0').map(([ts]) => ts).sort((a, b) => a - b);
    const after = Math.round(((zeros[0] ?? Infinity) - result.injectedAt) * 10) / 10;
    this.results.set(name, { ...result, probeZeroAfter: after });
    this.t.diagnostic(`drill ${name}: probe_success (Probe) 0 at +${after}s`);
    return after;
  }

  writeReport(): void {
    const file = process.env.HELLO_EDGE_DRILL_REPORT;
    if (file) writeFileSync(file, `${JSON.stringify(Object.fromEntries(this.results), null, 2)}\n`);
  }
}

/** Waits until Prometheus holds at least `seconds` of `selector`'s samples. */
async function waitForHistory(api: PrometheusApi, selector: string, seconds: number): Promise<void> {
  await waitFor(`${seconds}s of ${selector}`, async () => {
    const first = Math.min(...(await api.samples(selector, 3600)).flatMap((s) => s.values.map(([ts]) => ts)));
    return Date.now() / 1000 - first >= seconds ? true : undefined;
  }, 300_000, 1000);
}

/** Alerts seen during a drill other than `allowed`. */
const others = (seen: readonly string[], allowed: readonly string[]): string[] => seen.filter((s) => !allowed.includes(s));

/**
 * The app goes down, timed by Prometheus's own samples. The Probe's probe_success drops to 0 at
 * the first scrape after the outage (within one interval). The alert takes the max over the Probe
 * and the prober's scheduled series, which reach Prometheus up to one probe interval plus one
 * scrape interval after the outage: so it goes pending within two intervals and an evaluation,
 * and fires `targetDownFor` later. It resolves when the app is back.
 */
async function drillAppDown(drills: Drills, served: Served, name: string, namespace: string, app: string, during?: () => Promise<void>): Promise<void> {
  const result = await drills.run(name, app, [{ alertname: 'HelloTargetDown', labels: { app } }], () => served.pods.kill(namespace), async () => {
    await during?.();
    await served.pods.start(namespace);
  });
  const zeroAfter = await drills.probeZeroAfter(name, app);
  assert.ok(zeroAfter <= T.interval, `the Probe's first 0 came ${zeroAfter}s after the outage`);
  const timing = result.alerts[0]!;
  assert.ok(timing.pendingSamples > 0, 'the alert was pending before it fired');
  assert.ok(timing.firingAfter - timing.pendingAfter >= T.targetDownFor - 0.01, `fired ${timing.firingAfter - timing.pendingAfter}s after going pending; for is ${T.targetDownFor}s`);
  assert.ok(timing.pendingAfter <= 2 * T.interval + T.evaluation + 1, `pending ${timing.pendingAfter}s after the outage`);
  assert.ok(timing.firingAfter <= T.targetDownFor + 2 * T.interval + T.evaluation + 1, `fired ${timing.firingAfter}s after the outage`);
  assert.deepEqual(others(result.seen, [`HelloTargetDown{app=${app}}`]), []);
}

test('the monitoring chain with the real Prometheus Operator and Prometheus, and an outage drill', { timeout: 900_000 }, async (t) => {
  const chain = await setUp(t);
  if (!chain) return;
  const api = new PrometheusApi(chain.ns, PROMETHEUS_URL);
  const drills = new Drills(t, api);
  let served: Served | undefined;

  await t.test('selection: exactly the selected fleets\' objects become scrape jobs and rule files; unselected ones do not, and hello-cli warns', () => checkSelection(chain));

  await t.test('real scrapes through the operator\'s config: the prober\'s own job up, probe_success = 1 and probe_duration_seconds for every app', async () => {
    served = await serveFleets(t, chain.ns, chain.cp, chain.dir, LIVE);
    await startPrometheus(t, chain);
    await validate(t, chain, api);
  });
  if (!served) return;
  const { standIn, certs } = served;

  await t.test('drill: the app goes down (ingress path): probe_success 0, target-down pending then firing, resolved when it is back', async () => {
    let duringOutage: RunResult | undefined;
    await drillAppDown(drills, served!, 'app down (ingress)', 'edge-web', 'web', async () => {
      duringOutage = await cli(chain.ns, ['check-monitoring', '-c', chain.configs.get('edge')!, '--prometheus', PROMETHEUS_URL]);
    });
    assert.equal(duringOutage?.code, 1, `check-monitoring fails during the outage: ${duringOutage?.stdout}`);
    assert.match(duringOutage!.stdout, /FAIL\s+web: probe succeeds through the Probe/);
    assert.match(duringOutage!.stdout, /FAIL\s+no alert of the fleet is firing/);
  });

  await t.test('drill: the app goes down (service path)', () => drillAppDown(drills, served!, 'app down (service)', 'inner-api', 'api'));

  await t.test('drill: a certificate that expires within certExpiryDays fires the expiry alert for that app only', async () => {
    const normal = standIn.config;
    const expiring = standIn.withHost('web.example.com', await certs.issue('web.example.com', 3));
    const result = await drills.run('certificate expiring', 'web', [{ alertname: 'HelloCertificateExpiringSoon', labels: { app: 'web' } }],
      () => standIn.reload(expiring), () => standIn.reload(normal));
    assert.deepEqual(others(result.seen, ['HelloCertificateExpiringSoon{app=web}']), []);
  });

  await t.test('drill: the prober goes away: prober-down and probes-missing fire, no app alert fires falsely', async () => {
    const result = await drills.run('prober gone', 'web', [
      { alertname: 'HelloProberDown', labels: { namespace: 'edge-system' } },
      { alertname: 'HelloProbeMissing', labels: { app: 'web' } },
      { alertname: 'HelloProbeMissing', labels: { app: 'shop' } },
    ], () => served!.pods.kill('edge-system'), () => served!.pods.start('edge-system'));
    assert.deepEqual(others(result.seen, ['HelloProberDown{namespace=edge-system}', 'HelloProbeMissing{app=web}', 'HelloProbeMissing{app=shop}']), []);
  });

  await t.test('drill: the app turns slow past its latency SLO: the (scaled) burn-rate alert fires, target-down does not', async () => {
    const edge = loadFleetConfig(chain.configs.get('edge')!);
    const web = edge.apps.find((a) => a.name === 'web')!;
    const windows = BURN_RATE_WINDOWS.map((w) => ({ ...w, long: scaleToPeriod(w.long, edge.monitoring.alerts.sloPeriodSeconds), short: scaleToPeriod(w.short, edge.monitoring.alerts.sloPeriodSeconds) }));
    // With less history than the fast burn's long window, that window would hold only what there is.
    await waitForHistory(api, 'probe_duration_seconds_count{app="web"}', parseDuration(windows[0]!.long, 'window') / 1000 + T.interval);
    let ratios = '';
    const result = await drills.run('app slow', 'web', [{ alertname: 'HelloLatencyBudgetBurnFast', labels: { app: 'web' } }],
      () => standIn.reload(standIn.withHost('web.example.com', { delayMs: SLOW_DELAY_MS })),
      async () => {
        // What the rule saw when it fired: the slow fraction over each (scaled) window.
        ratios = (await Promise.all(windows.flatMap((w) => [w.long, w.short]).map(async (w) => `${w}: ${Number((await api.query(slowRatioExpr(web, w)))[0]?.value[1] ?? NaN).toFixed(3)}`))).join(', ');
        await standIn.reload(standIn.withHost('web.example.com', { delayMs: 0 }));
      },
      // It resolves once the 6x pair's short window (1m here) has cleared: nothing more to learn.
      { awaitResolved: false });
    const budget = 1 - web.slo.latencyObjective;
    t.diagnostic(`drill app slow: slow fraction of web's probes per window when the alert fired: ${ratios}; `
      + `fast burn: > ${(14.4 * budget).toFixed(3)} over ${windows[0]!.long} and ${windows[0]!.short}, or > ${(6 * budget).toFixed(3)} over ${windows[1]!.long} and ${windows[1]!.short}`);
    // The slow-burn alert may go pending too (the app is slow for real); nothing else may.
    assert.deepEqual(others(result.seen, ['HelloLatencyBudgetBurnFast{app=web}', 'HelloLatencyBudgetBurnSlow{app=web}']), []);
  });

  await t.test('the fleet not drilled raised no alert at all', async () => {
    const from = Math.min(...[...drills.results.values()].map((r) => r.injectedAt));
    assert.deepEqual((await api.samples('ALERTS{app="docs"}', Date.now() / 1000 - from)).map((s) => alertKey(s.metric)), []);
    drills.writeReport();
  });
});
