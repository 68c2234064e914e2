/**
 * Makes the selected fleets real inside the namespace: addresses on `lo`, names in /etc/hosts,
 * hello and prober processes behind the fake pods, the kube-proxy and ingress stand-ins, and the
 * real blackbox exporter as the shared exporter.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { spawnListening, spawnLogged, type ChildServer } from '../support/child.js';
import { REPO_ROOT, type ControlPlane } from '../support/cluster.js';
import type { NetNamespace } from '../support/netns.js';
import { requireTool } from '../support/tools.js';
import type { StandInConfig } from './edge-stand-in.js';
import { publicHost, type FleetSpec } from './fleets.js';
import { PROMETHEUS_NAMESPACE } from './operator.js';
import { waitFor } from './prometheus-api.js';
import {
  deploymentContainer, helloPod, proberPod, readServices, RealPods, serviceNames, serviceRoutes, TestCertificates, writeStandInConfig, type ClusterService,
} from './workloads.js';

/** Address of the ingress controller's load balancer, where the public hosts resolve. */
export const INGRESS_ADDRESS = '10.98.0.10';

/** The running stand-in process and its config; `reload` swaps the config (SIGHUP). */
export class StandIn {
  private constructor(private readonly file: string, private readonly server: ChildServer, private current: StandInConfig) {}

  static async start(t: TestContext, ns: NetNamespace, file: string, config: StandInConfig): Promise<StandIn> {
    writeStandInConfig(file, config);
    const script = join(REPO_ROOT, 'dist', 'test', 'monitoring', 'edge-stand-in.js');
    return new StandIn(file, await spawnListening(t, ...ns.wrap(process.execPath, [script, file]), { env: process.env, timeoutMs: 15_000 }), config);
  }

  get config(): StandInConfig {
    return this.current;
  }

  /** Writes `next`, signals the stand-in, resolves once it logged the reload. */
  async reload(next: StandInConfig): Promise<void> {
    this.current = next;
    writeStandInConfig(this.file, next);
    const reloads = (): number => this.server.logs.filter((l) => l.msg === 'reloaded').length;
    const before = reloads();
    this.server.child.kill('SIGHUP');
    await waitFor('the stand-in to reload', async () => (reloads() > before ? true : undefined), 10_000, 50);
  }

  /** The config with one ingress host's route changed. */
  withHost(host: string, change: Partial<NonNullable<StandInConfig['ingress']>['hosts'][string]>): StandInConfig {
    const ingress = this.current.ingress!;
    return { ...this.current, ingress: { ...ingress, hosts: { ...ingress.hosts, [host]: { ...ingress.hosts[host]!, ...change } } } };
  }
}

/** What the drills act on. */
export interface Served {
  readonly pods: RealPods;
  readonly certs: TestCertificates;
  readonly standIn: StandIn;
}

/** The namespaces of the selected fleets' apps and probers, and Prometheus's. */
export function fleetNamespaces(live: readonly FleetSpec[]): string[] {
  return [...new Set(live.flatMap((f) => [...f.apps.map((a) => `${f.name}-${a}`), ...(f.prober === 'local' ? [`${f.name}-system`] : [])])), PROMETHEUS_NAMESPACE];
}

async function servicesWithEndpoints(cp: ControlPlane, live: readonly FleetSpec[]): Promise<ClusterService[]> {
  const expected = live.reduce((n, f) => n + f.apps.length + (f.prober === 'local' ? 1 : 0), 0);
  return waitFor('every fleet Service to have its endpoints', async () => {
    const all = await readServices(cp, fleetNamespaces(live));
    const fleetServices = all.filter((s) => s.namespace !== PROMETHEUS_NAMESPACE);
    return fleetServices.length === expected && fleetServices.every((s) => s.endpoints.length === 2) ? all : undefined;
  }, 60_000, 1000);
}

/** One real process per fake pod of `served`, with the command line and config of its Deployment. */
async function addPods(cp: ControlPlane, pods: RealPods, served: readonly ClusterService[], dir: string, caCert: string): Promise<void> {
  for (const s of served) {
    const container = await deploymentContainer(cp, s.namespace, s.name);
    if (s.name !== 'hello-prober') {
      for (const e of s.endpoints) pods.add(helloPod(container, s.namespace, s.name, e.ip));
      continue;
    }
    const configMap = JSON.parse(await cp.kubectl(['get', 'configmap', 'hello-prober', '-n', s.namespace, '-o', 'json'])) as { data: Record<string, string> };
    const configFile = join(dir, `${s.namespace}-prober.yml`);
    writeFileSync(configFile, configMap.data['prober.yml']!);
    for (const e of s.endpoints) pods.add(proberPod(container, s.namespace, e.ip, configFile, caCert));
  }
}

/** The shared exporter of a `mode: shared` fleet: the real blackbox exporter on its Service address. */
async function startBlackboxExporter(t: TestContext, ns: NetNamespace, address: string, dir: string, caCert: string): Promise<void> {
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, 'modules:\n  http_2xx:\n    prober: http\n    http:\n      preferred_ip_protocol: ip4\n      fail_if_not_ssl: true\n');
  const exporter = spawnLogged(t, ...ns.wrap(requireTool(t, 'prometheus-blackbox-exporter')!, [`--config.file=${config}`, `--web.listen-address=${address}:9115`]), { ...process.env, SSL_CERT_FILE: caCert });
  await waitFor('the blackbox exporter', async () => ((await ns.get(`http://${address}:9115/-/healthy`).catch(() => undefined))?.status === 200 ? true : undefined), 20_000, 200, async () => exporter.output());
}

/** Serves the selected fleets for real inside the namespace; see the module comment. */
export async function serveFleets(t: TestContext, ns: NetNamespace, cp: ControlPlane, dir: string, live: readonly FleetSpec[]): Promise<Served> {
  const services = await servicesWithEndpoints(cp, live);
  const exporter = services.find((s) => s.name === 'blackbox-exporter')!;
  const withAddress = services.filter((s) => s.clusterIP !== 'None');
  const served = withAddress.filter((s) => s !== exporter);
  await ns.addAddresses([...new Set([...withAddress.map((s) => s.clusterIP), ...served.flatMap((s) => s.endpoints.map((e) => e.ip)), INGRESS_ADDRESS])]);
  const publicHosts = live.filter((f) => f.probeVia === 'ingress').flatMap((f) => f.apps.map((app) => ({ namespace: `${f.name}-${app}`, app, host: publicHost(f, app) })));
  ns.writeHosts(new Map([...withAddress.map((s) => [s.clusterIP, serviceNames(s)] as const), [INGRESS_ADDRESS, publicHosts.map((h) => h.host)]]));

  const certs = await TestCertificates.create(dir);
  const pods = new RealPods(t, ns);
  await addPods(cp, pods, served, dir, certs.caCert);
  await Promise.all(fleetNamespaces(live).map((n) => pods.start(n)));

  const hosts: Record<string, NonNullable<StandInConfig['ingress']>['hosts'][string]> = {};
  for (const h of publicHosts) {
    const service = served.find((s) => s.namespace === h.namespace && s.name === h.app)!;
    hosts[h.host] = { ...(await certs.issue(h.host, 90)), backends: service.endpoints.map((e) => `${e.ip}:${e.ports.http}`) };
  }
  const standIn = await StandIn.start(t, ns, join(dir, 'stand-in.json'), { services: serviceRoutes(served), ingress: { listen: `${INGRESS_ADDRESS}:443`, hosts } });
  await startBlackboxExporter(t, ns, exporter.clusterIP, dir, certs.caCert);
  return { pods, certs, standIn };
}
