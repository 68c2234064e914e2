import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { formatDuration } from '../../common/index.js';
import {
  HELLO_DEFAULT_PORT, HELLO_ENV, HELLO_PATHS, HELLO_PORT_NAME, HELLO_RUN_AS_GID, HELLO_RUN_AS_UID,
} from '../../hello/contract.js';
import { HttpRoute, HttpRouteSpecRulesFiltersRequestRedirectScheme, HttpRouteSpecRulesFiltersRequestRedirectStatusCode, HttpRouteSpecRulesFiltersType, HttpRouteSpecRulesMatchesPathType } from '../imports/gateway.networking.k8s.io.js';
import { type AppConfig, type FleetConfig, POD, POD_PROBES, ROLLOUT, imageString } from '../config/index.js';
import { appLabels, appSelector, proberSelector } from '../labels.js';
import {
  containerSecurityContext, dnsEgress, hostAntiAffinity, namespacePeer, podSecurityContext, resourceRequirements, topologySpread,
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
    const name = app.name;
    const namespace = app.namespace;
    const labels = appLabels(name);
    const selector = appSelector(name);
    const metadata = { name, namespace, labels };

    new k8s.KubeServiceAccount(this, 'service-account', { metadata, automountServiceAccountToken: false });

    const graceSeconds = app.preStopSeconds + Math.ceil(app.shutdownTimeoutMs / 1000) + POD.appGraceMarginSeconds;
    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: {
        ...metadata,
        annotations: {
          // Polaris wants spec.replicas >= 2, which would fight the HPA (kube-score: critical).
          'polaris.fairwinds.com/deploymentMissingReplicas-exempt': 'true',
          ...(app.resources.limits.cpuMillis === null
            ? {
                'kube-score/ignore': 'container-resources',
                [EXEMPTION_ANNOTATION]: 'container-resources: no CPU limit, as the bench recommends (CFS throttling raises tail latency); memory is limited',
              }
            : {}),
        },
      },
      spec: {
        selector: { matchLabels: selector },
        revisionHistoryLimit: ROLLOUT.revisionHistoryLimit,
        progressDeadlineSeconds: ROLLOUT.progressDeadlineSeconds,
        minReadySeconds: ROLLOUT.minReadySeconds,
        strategy: {
          type: 'RollingUpdate',
          // Never below capacity during a rollout: new pods come up before old ones go.
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromString(`${ROLLOUT.appMaxSurgePercent}%`) },
        },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            ...(fleet.priorityClassName ? { priorityClassName: fleet.priorityClassName } : {}),
            terminationGracePeriodSeconds: graceSeconds,
            securityContext: podSecurityContext(HELLO_RUN_AS_UID, HELLO_RUN_AS_GID),
            topologySpreadConstraints: topologySpread(selector),
            affinity: hostAntiAffinity(selector),
            containers: [{
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
              startupProbe: { httpGet: { path: HELLO_PATHS.liveness, port: k8s.IntOrString.fromString(HELLO_PORT_NAME) }, ...POD_PROBES.startup },
              livenessProbe: { httpGet: { path: HELLO_PATHS.liveness, port: k8s.IntOrString.fromString(HELLO_PORT_NAME) }, ...POD_PROBES.liveness },
              readinessProbe: { httpGet: { path: HELLO_PATHS.readiness, port: k8s.IntOrString.fromString(HELLO_PORT_NAME) }, ...POD_PROBES.readiness },
              // Endpoints are removed asynchronously: keep serving while load balancers catch up.
              lifecycle: app.preStopSeconds > 0 ? { preStop: { sleep: { seconds: app.preStopSeconds } } } : undefined,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            }],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString(POD.tmpSizeLimit) } }],
          },
        },
      },
    });

    this.service = new k8s.KubeService(this, 'service', {
      metadata,
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [{ name: HELLO_PORT_NAME, port: SERVICE_PORT, targetPort: k8s.IntOrString.fromString(HELLO_PORT_NAME), protocol: 'TCP' }],
      },
    });

    new k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', {
      metadata,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: app.scaling.minReplicas,
        maxReplicas: app.scaling.maxReplicas,
        metrics: [{
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: app.scaling.targetCpuUtilization } },
        }],
        behavior: {
          scaleUp: { ...app.scaling.behavior.scaleUp, policies: [...app.scaling.behavior.scaleUp.policies] },
          scaleDown: { ...app.scaling.behavior.scaleDown, policies: [...app.scaling.behavior.scaleDown.policies] },
        },
      },
    });

    new k8s.KubePodDisruptionBudget(this, 'pdb', {
      metadata,
      spec: {
        selector: { matchLabels: selector },
        maxUnavailable: k8s.IntOrString.fromNumber(ROLLOUT.pdbMaxUnavailable),
        // A crash-looping pod must not block node drains.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });

    const fromRouting = fleet.routing.kind === 'ingress'
      ? namespacePeer(fleet.routing.ingress.controllerNamespace)
      : namespacePeer(fleet.routing.gateway.dataplaneNamespace);
    const peers = [fromRouting];
    const m = fleet.monitoring;
    if (m.enabled && m.prober.probeVia === 'service') {
      peers.push(m.prober.mode === 'local' ? namespacePeer(m.prober.namespace, proberSelector()) : namespacePeer(m.prometheusNamespace));
    }
    new k8s.KubeNetworkPolicy(this, 'network-policy', {
      metadata,
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: peers, ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromString(HELLO_PORT_NAME) }] }],
        // hello calls nothing; DNS only, so a compromised pod cannot reach anything else.
        egress: [dnsEgress()],
      },
    });

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
