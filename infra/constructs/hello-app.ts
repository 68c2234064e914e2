import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { formatDuration } from '../../common/index.js';
import {
  HELLO_DEFAULT_PORT, HELLO_ENV, HELLO_PATHS, HELLO_PORT_NAME, HELLO_RUN_AS_GID, HELLO_RUN_AS_UID,
} from '../../hello/contract.js';
import { HttpRoute, HttpRouteSpecRulesFiltersRequestRedirectScheme, HttpRouteSpecRulesFiltersRequestRedirectStatusCode, HttpRouteSpecRulesFiltersType, HttpRouteSpecRulesMatchesPathType } from '../imports/gateway.networking.k8s.io.js';
import { type AppConfig, type FleetConfig, POD, ROLLOUT, imageString } from '../config/index.js';
import { appLabels, appSelector, proberSelector } from '../labels.js';
import {
  basePodSpec, containerSecurityContext, disruptionBudgetSpec, dnsEgress, httpProbes, namespacePeer, resourceRequirements, routingPeer,
  surgeOnlyRollout, tmpVolume, tmpVolumeMount,
} from '../pod-spec.js';

/** Annotation that gives the reason for every linter exemption on an object. */
export const EXEMPTION_ANNOTATION = 'hello-edge.dev/lint-exemptions';

/** Port of the app's Service (the container listens on hello's port). */
export const SERVICE_PORT = 80;

/** Props of {@link HelloApp}. */
export interface HelloAppProps {
  /** The app, with every default applied (see `parseFleetConfig`). */
  readonly app: AppConfig;
  /** The fleet's shared settings (routing, monitoring, priority class). */
  readonly fleet: FleetConfig;
}

/**
 * One hello app: ServiceAccount, Deployment (no replicas: the HPA owns them), Service, HPA, PDB,
 * NetworkPolicy, and an Ingress or Gateway API HTTPRoutes. Built on L1 `k8s.Kube*` objects, so
 * nothing comes from hidden defaults.
 */
export class HelloApp extends Construct {
  /** The Deployment (for tests and for further patches). */
  readonly deployment: k8s.KubeDeployment;
  /** The Service in front of the pods. */
  readonly service: k8s.KubeService;

  constructor(scope: Construct, id: string, props: HelloAppProps) {
    super(scope, id);
    const { app, fleet } = props;
    const selector = appSelector(app.name);
    const metadata = { name: app.name, namespace: app.namespace, labels: appLabels(app.name) };

    // The objects are written in the order they are created here (the golden files pin it).
    new k8s.KubeServiceAccount(this, 'service-account', { metadata, automountServiceAccountToken: false });
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: { ...metadata, annotations: deploymentAnnotations(app) },
      spec: deploymentSpec(app, fleet),
    });
    this.service = new k8s.KubeService(this, 'service', { metadata, spec: serviceSpec(selector) });
    new k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', { metadata, spec: autoscalerSpec(app) });
    new k8s.KubePodDisruptionBudget(this, 'pdb', { metadata, spec: disruptionBudgetSpec(selector) });
    new k8s.KubeNetworkPolicy(this, 'network-policy', { metadata, spec: networkPolicySpec(selector, fleet) });

    if (fleet.routing.kind === 'ingress') this.addIngress(app, fleet);
    else this.addRoutes(app, fleet);
  }

  private addIngress(app: AppConfig, fleet: FleetConfig): void {
    const r = fleet.routing;
    const issuerKey = r.tls.issuerKind === 'ClusterIssuer' ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer';
    const nginx = r.ingress.className === 'nginx';
    new k8s.KubeIngress(this, 'ingress', {
      metadata: {
        name: app.name,
        namespace: app.namespace,
        labels: appLabels(app.name),
        annotations: {
          [issuerKey]: r.tls.issuer,
          // ingress-nginx: redirect HTTP to HTTPS even behind a TLS-terminating load balancer.
          ...(nginx ? { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' } : {}),
          ...r.ingress.annotations,
        },
      },
      spec: {
        ingressClassName: r.ingress.className,
        tls: [{ hosts: [...new Set(app.hosts.map((h) => h.host))], secretName: `${app.name}-tls` }],
        rules: app.hosts.map((h) => ({
          host: h.host,
          http: {
            paths: [{
              path: h.path,
              pathType: 'Prefix',
              backend: { service: { name: app.name, port: { name: HELLO_PORT_NAME } } },
            }],
          },
        })),
      },
    });
  }

  private addRoutes(app: AppConfig, fleet: FleetConfig): void {
    const gw = fleet.routing.gateway;
    const hostnames = [...new Set(app.hosts.map((h) => h.host))];
    const matches = app.hosts.map((h) => ({ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: h.path } }));
    // Always a sectionName: a parentRef without one attaches to every listener, the HTTP one too,
    // where this route would compete with the redirect route below for the same hostnames and
    // paths and could serve plain HTTP (with an HSTS header).
    const httpsParents = gw.create
      ? hostnames.map((host) => ({ name: gw.parentRef.name, namespace: gw.parentRef.namespace, sectionName: httpsListenerName(host) }))
      : [{ name: gw.parentRef.name, namespace: gw.parentRef.namespace, sectionName: gw.parentRef.sectionName ?? HTTPS_LISTENER }];
    new HttpRoute(this, 'route', {
      metadata: { name: app.name, namespace: app.namespace, labels: appLabels(app.name) },
      spec: {
        parentRefs: httpsParents,
        hostnames,
        rules: [{
          matches,
          filters: [{
            type: HttpRouteSpecRulesFiltersType.RESPONSE_HEADER_MODIFIER,
            responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: `max-age=${fleet.routing.hstsMaxAgeSeconds}; includeSubDomains` }] },
          }],
          backendRefs: [{ name: app.name, port: SERVICE_PORT }],
        }],
      },
    });
    new HttpRoute(this, 'redirect', {
      metadata: { name: `${app.name}-https-redirect`, namespace: app.namespace, labels: appLabels(app.name) },
      spec: {
        parentRefs: [{ name: gw.parentRef.name, namespace: gw.parentRef.namespace, sectionName: HTTP_LISTENER }],
        hostnames,
        rules: [{
          filters: [{
            type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
            requestRedirect: {
              scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS,
              statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301,
            },
          }],
        }],
      },
    });
  }
}

/** The Deployment's linter exemptions, each with its reason. */
function deploymentAnnotations(app: AppConfig): Record<string, string> {
  return {
    // Polaris wants spec.replicas >= 2, which would fight the HPA (kube-score: critical).
    'polaris.fairwinds.com/deploymentMissingReplicas-exempt': 'true',
    ...(app.resources.limits.cpuMillis === null
      ? {
          'kube-score/ignore': 'container-resources',
          [EXEMPTION_ANNOTATION]: 'container-resources: no CPU limit, as the bench recommends (CFS throttling raises tail latency); memory is limited',
        }
      : {}),
  };
}

/** The app's Deployment: no replicas (the HPA owns them), and rollouts that never drop below capacity. */
function deploymentSpec(app: AppConfig, fleet: FleetConfig): k8s.DeploymentSpec {
  return {
    selector: { matchLabels: appSelector(app.name) },
    revisionHistoryLimit: ROLLOUT.revisionHistoryLimit,
    progressDeadlineSeconds: ROLLOUT.progressDeadlineSeconds,
    minReadySeconds: ROLLOUT.minReadySeconds,
    strategy: surgeOnlyRollout(k8s.IntOrString.fromString(`${ROLLOUT.appMaxSurgePercent}%`)),
    template: {
      metadata: { labels: appLabels(app.name) },
      spec: {
        ...basePodSpec({
          serviceAccountName: app.name,
          uid: HELLO_RUN_AS_UID,
          gid: HELLO_RUN_AS_GID,
          terminationGracePeriodSeconds: graceSeconds(app),
          selector: appSelector(app.name),
          priorityClassName: fleet.priorityClassName,
        }),
        containers: [helloContainer(app)],
        volumes: [tmpVolume()],
      },
    },
  };
}

/** Time for the preStop sleep, then hello's own shutdown (drain and close), plus a margin before SIGKILL. */
function graceSeconds(app: AppConfig): number {
  return app.preStopSeconds + Math.ceil(app.shutdownTimeoutMs / 1000) + POD.appGraceMarginSeconds;
}

/** The hello container: configured through hello's env contract, probed on its named port. */
function helloContainer(app: AppConfig): k8s.Container {
  return {
    name: 'hello',
    image: imageString(app.image),
    imagePullPolicy: 'Always',
    ports: [{ name: HELLO_PORT_NAME, containerPort: HELLO_DEFAULT_PORT, protocol: 'TCP' }],
    env: [
      { name: HELLO_ENV.port, value: String(HELLO_DEFAULT_PORT) },
      { name: HELLO_ENV.drainDelay, value: formatDuration(app.drainDelayMs) },
      { name: HELLO_ENV.shutdownTimeout, value: formatDuration(app.shutdownTimeoutMs) },
    ],
    resources: resourceRequirements(app.resources),
    securityContext: containerSecurityContext(HELLO_RUN_AS_UID, HELLO_RUN_AS_GID),
    ...httpProbes(HELLO_PATHS.liveness, HELLO_PATHS.readiness, k8s.IntOrString.fromString(HELLO_PORT_NAME)),
    // Endpoints are removed asynchronously: keep serving while load balancers catch up.
    lifecycle: app.preStopSeconds > 0 ? { preStop: { sleep: { seconds: app.preStopSeconds } } } : undefined,
    volumeMounts: [tmpVolumeMount()],
  };
}

/** The Service in front of the pods: port 80, forwarded to hello's named port. */
function serviceSpec(selector: Record<string, string>): k8s.ServiceSpec {
  return {
    type: 'ClusterIP',
    selector,
    ports: [{ name: HELLO_PORT_NAME, port: SERVICE_PORT, targetPort: k8s.IntOrString.fromString(HELLO_PORT_NAME), protocol: 'TCP' }],
  };
}

/** Scaling on CPU utilization, between the app's bounds, with its scale-up/down behaviour. */
function autoscalerSpec(app: AppConfig): k8s.HorizontalPodAutoscalerSpecV2 {
  const { scaleUp, scaleDown } = app.scaling.behavior;
  return {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: app.name },
    minReplicas: app.scaling.minReplicas,
    maxReplicas: app.scaling.maxReplicas,
    metrics: [{
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: app.scaling.targetCpuUtilization } },
    }],
    // Copies: the config is read-only, the L1 props take mutable arrays.
    behavior: {
      scaleUp: { ...scaleUp, policies: [...scaleUp.policies] },
      scaleDown: { ...scaleDown, policies: [...scaleDown.policies] },
    },
  };
}

/** In: hello's port, from the routing data plane and (probing via the Service) the prober. Out: DNS only. */
function networkPolicySpec(selector: Record<string, string>, fleet: FleetConfig): k8s.NetworkPolicySpec {
  return {
    podSelector: { matchLabels: selector },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: allowedPeers(fleet), ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromString(HELLO_PORT_NAME) }] }],
    // hello calls nothing; DNS only, so a compromised pod cannot reach anything else.
    egress: [dnsEgress()],
  };
}

/**
 * Who may reach the pods: the ingress controller or gateway, and, when the prober probes the
 * Service rather than the public URL, the prober itself: the fleet's own prober pods, or a shared
 * exporter in Prometheus's namespace.
 */
function allowedPeers(fleet: FleetConfig): k8s.NetworkPolicyPeer[] {
  const peers = [routingPeer(fleet)];
  const m = fleet.monitoring;
  if (m.enabled && m.prober.probeVia === 'service') {
    peers.push(m.prober.mode === 'local' ? namespacePeer(m.prober.namespace, proberSelector()) : namespacePeer(m.prometheusNamespace));
  }
  return peers;
}

/** Name of the plain-HTTP listener that the redirect routes attach to. */
export const HTTP_LISTENER = 'http';

/** Name of an existing Gateway's HTTPS listener that the app routes attach to, unless `routing.gateway.parentRef.sectionName` names another. */
export const HTTPS_LISTENER = 'https';

/** Name of the HTTPS listener a created Gateway has for `host` (a section name: DNS label). */
export function httpsListenerName(host: string): string {
  const base = `https-${host.replaceAll('.', '-')}`;
  return base.length <= 63 ? base : `${base.slice(0, 54)}-${shortHash(host)}`;
}

function shortHash(text: string): string {
  let h = 2166136261;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}
