/**
 * The cluster's fake pods and Services made real inside the test's network namespace: each pod
 * address the API server assigned gets the real hello or prober process (command line and
 * environment from its Deployment, config from its ConfigMap), each Service address the
 * kube-proxy stand-in, each public host the ingress stand-in (edge-stand-in.ts), and names resolve
 * through the namespace's own /etc/hosts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { spawnListening, type ChildServer } from '../support/child.js';
import { REPO_ROOT, type ControlPlane } from '../support/cluster.js';
import type { NetNamespace } from '../support/netns.js';
import { run } from '../support/run.js';
import type { StandInConfig, StandInRoute } from './edge-stand-in.js';

/** A Service with its ClusterIP and ready endpoints, as the API server has them. */
export interface ClusterService {
  readonly namespace: string;
  readonly name: string;
  readonly clusterIP: string;
  readonly ports: readonly { readonly name?: string; readonly port: number; readonly targetPort: number | string }[];
  /** Ready endpoint addresses with their ports by name. */
  readonly endpoints: readonly { readonly ip: string; readonly ports: Readonly<Record<string, number>> }[];
}

interface Item { metadata: { name: string; namespace: string; labels?: Record<string, string> } }
interface ServiceItem extends Item { spec: { clusterIP: string; ports: { name?: string; port: number; targetPort: number | string }[] } }
interface SliceItem extends Item { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[]; ports?: { name?: string; port: number }[] }

/** The Services of `namespaces` with their ready endpoints (from EndpointSlices). */
export async function readServices(cp: ControlPlane, namespaces: readonly string[]): Promise<ClusterService[]> {
  const services = JSON.parse(await cp.kubectl(['get', 'services', '-A', '-o', 'json'])) as { items: ServiceItem[] };
  const slices = JSON.parse(await cp.kubectl(['get', 'endpointslices.discovery.k8s.io', '-A', '-o', 'json'])) as { items: SliceItem[] };
  return services.items.filter((s) => namespaces.includes(s.metadata.namespace)).map((s) => {
    const own = slices.items.filter((e) => e.metadata.namespace === s.metadata.namespace && e.metadata.labels?.['kubernetes.io/service-name'] === s.metadata.name);
    const endpoints = own.flatMap((slice) => (slice.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .flatMap((e) => e.addresses.map((ip) => ({ ip, ports: Object.fromEntries((slice.ports ?? []).map((p) => [p.name ?? '', p.port])) }))));
    return { namespace: s.metadata.namespace, name: s.metadata.name, clusterIP: s.spec.clusterIP, ports: s.spec.ports, endpoints };
  });
}

/** `name.namespace.svc` and its `.cluster.local` form, as cluster DNS answers them. */
export function serviceNames(service: Pick<ClusterService, 'name' | 'namespace'>): string[] {
  return [`${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}.svc.cluster.local`];
}

/** The kube-proxy route of each Service port: ClusterIP:port -> every endpoint's target port. */
export function serviceRoutes(services: readonly ClusterService[]): (StandInRoute & { listen: string })[] {
  return services.flatMap((s) => s.ports.map((p) => ({
    listen: `${s.clusterIP}:${p.port}`,
    backends: s.endpoints.map((e) => `${e.ip}:${typeof p.targetPort === 'number' ? p.targetPort : e.ports[p.targetPort]}`),
  }))).filter((r) => r.backends.length > 0);
}

interface Container { name: string; args?: string[]; env?: { name: string; value?: string }[]; ports?: { containerPort: number }[] }

/** The first container of a Deployment, as the API server has it. */
export async function deploymentContainer(cp: ControlPlane, namespace: string, name: string): Promise<Container> {
  const d = JSON.parse(await cp.kubectl(['get', 'deployment', name, '-n', namespace, '-o', 'json'])) as { spec: { template: { spec: { containers: Container[] } } } };
  return d.spec.template.spec.containers[0]!;
}

/** How to start the real process of one pod. */
export interface PodProcess {
  readonly namespace: string;
  /** The Service (and Deployment) the pod belongs to. */
  readonly workload: string;
  readonly ip: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** The real processes behind the fake pods; each can be stopped (killed) and started again. */
export class RealPods {
  private readonly running = new Map<string, ChildServer>();
  private readonly specs: PodProcess[] = [];

  constructor(private readonly t: TestContext, private readonly ns: NetNamespace) {}

  add(pod: PodProcess): void {
    this.specs.push(pod);
  }

  private select(namespace: string, workload?: string): PodProcess[] {
    return this.specs.filter((p) => p.namespace === namespace && (workload === undefined || p.workload === workload));
  }

  /** Starts the pods of `namespace` (one workload, or all) that are not running; resolves once each listens. */
  async start(namespace: string, workload?: string): Promise<void> {
    await Promise.all(this.select(namespace, workload).filter((p) => !this.running.has(p.ip)).map(async (p) => {
      const [command, args] = this.ns.wrap(p.command, p.args);
      this.running.set(p.ip, await spawnListening(this.t, command, args, { env: { ...process.env, ...p.env }, timeoutMs: 30_000 }));
    }));
  }

  /** Kills the pods of `namespace` (one workload, or all): the process dies, the fake pod stays Ready. */
  async kill(namespace: string, workload?: string): Promise<void> {
    await Promise.all(this.select(namespace, workload).map(async (p) => {
      const server = this.running.get(p.ip);
      if (!server) return;
      this.running.delete(p.ip);
      server.child.kill('SIGKILL');
      await server.exited;
    }));
  }
}

/** The hello process of one pod: the Deployment's environment, bound to the pod's address. */
export function helloPod(container: Container, namespace: string, workload: string, ip: string): PodProcess {
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
  // A pod has an address of its own and binds 0.0.0.0; here the pods share one namespace.
  return { namespace, workload, ip, command: process.execPath, args: [join(REPO_ROOT, 'dist', 'hello', 'main.js')], env: { ...env, HOST: ip } };
}

/**
 * The prober process of one pod: the Deployment's arguments with the config file where the test
 * wrote the ConfigMap, listening on the pod's address, trusting the test CA (which stands in for
 * the public CA that issues the ingress certificates).
 */
export function proberPod(container: Container, namespace: string, ip: string, configFile: string, caFile: string): PodProcess {
  const port = container.ports?.[0]?.containerPort ?? 9115;
  const args = (container.args ?? []).map((a) => (a.startsWith('--config.file=') ? `--config.file=${configFile}` : a));
  return {
    namespace, workload: 'hello-prober', ip, command: process.execPath,
    args: [join(REPO_ROOT, 'dist', 'prober', 'main.js'), ...args, `--web.listen-address=${ip}:${port}`],
    env: { NODE_EXTRA_CA_CERTS: caFile },
  };
}

/** A CA and server certificates made with openssl (EC P-256). */
export class TestCertificates {
  readonly caCert: string;
  private readonly caKey: string;

  private constructor(private readonly dir: string) {
    this.caCert = join(dir, 'ca.crt');
    this.caKey = join(dir, 'ca.key');
  }

  static async create(dir: string): Promise<TestCertificates> {
    const certs = new TestCertificates(dir);
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', certs.caKey]);
    await openssl(['req', '-x509', '-new', '-key', certs.caKey, '-days', '365', '-subj', '/CN=hello-edge test CA', '-out', certs.caCert,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return certs;
  }

  /** A certificate for `host` valid for `days`; returns its files. */
  async issue(host: string, days: number): Promise<{ certFile: string; keyFile: string }> {
    const base = join(this.dir, `${host}-${days}d`);
    const ext = `${base}.ext`;
    writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${host}\n`);
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${base}.key`]);
    await openssl(['req', '-new', '-key', `${base}.key`, '-subj', `/CN=${host}`, '-out', `${base}.csr`]);
    await openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', this.caCert, '-CAkey', this.caKey, '-CAcreateserial', '-days', String(days), '-extfile', ext, '-out', `${base}.crt`]);
    return { certFile: `${base}.crt`, keyFile: `${base}.key` };
  }
}

async function openssl(args: string[]): Promise<void> {
  const result = await run('openssl', args);
  if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

/** Writes the stand-in's config file. */
export function writeStandInConfig(file: string, config: StandInConfig): void {
  writeFileSync(file, JSON.stringify(config, null, 2));
}
