/**
 * Apply order and the kinds deploy manages. Namespaces (and CRDs) first, so namespaced objects
 * have a home; workloads after their ServiceAccounts and ConfigMaps; monitoring objects last.
 */

/** A kind deploy knows: its apply stage and the `resource.group` name kubectl uses for it. */
interface ManagedKind {
  readonly stage: number;
  readonly resource: string;
}

const MANAGED: Readonly<Record<string, ManagedKind>> = {
  'apiextensions.k8s.io/CustomResourceDefinition': { stage: 0, resource: 'customresourcedefinitions.apiextensions.k8s.io' },
  'Namespace': { stage: 0, resource: 'namespaces' },
  'scheduling.k8s.io/PriorityClass': { stage: 1, resource: 'priorityclasses.scheduling.k8s.io' },
  'ServiceAccount': { stage: 1, resource: 'serviceaccounts' },
  'ConfigMap': { stage: 1, resource: 'configmaps' },
  'LimitRange': { stage: 1, resource: 'limitranges' },
  'ResourceQuota': { stage: 1, resource: 'resourcequotas' },
  'Service': { stage: 2, resource: 'services' },
  'apps/Deployment': { stage: 3, resource: 'deployments.apps' },
  'autoscaling/HorizontalPodAutoscaler': { stage: 4, resource: 'horizontalpodautoscalers.autoscaling' },
  'policy/PodDisruptionBudget': { stage: 4, resource: 'poddisruptionbudgets.policy' },
  'networking.k8s.io/NetworkPolicy': { stage: 4, resource: 'networkpolicies.networking.k8s.io' },
  'networking.k8s.io/Ingress': { stage: 4, resource: 'ingresses.networking.k8s.io' },
  'gateway.networking.k8s.io/Gateway': { stage: 4, resource: 'gateways.gateway.networking.k8s.io' },
  'gateway.networking.k8s.io/HTTPRoute': { stage: 4, resource: 'httproutes.gateway.networking.k8s.io' },
  'monitoring.coreos.com/ServiceMonitor': { stage: 5, resource: 'servicemonitors.monitoring.coreos.com' },
  'monitoring.coreos.com/Probe': { stage: 5, resource: 'probes.monitoring.coreos.com' },
  'monitoring.coreos.com/PrometheusRule': { stage: 5, resource: 'prometheusrules.monitoring.coreos.com' },
};

/** `group/Kind` (core kinds without a group) from an apiVersion and kind. */
export function groupKind(apiVersion: string, kind: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? kind : `${apiVersion.slice(0, slash)}/${kind}`;
}

/** The managed kind, or undefined when deploy does not handle this kind. */
export function managedKind(apiVersion: string, kind: string): ManagedKind | undefined {
  return MANAGED[groupKind(apiVersion, kind)];
}

/** Every resource name deploy may list and prune (never anything else). */
export function managedResources(): string[] {
  return Object.values(MANAGED).map((m) => m.resource);
}

/** The managed kind of a `group/Kind` name (as {@link groupKind} makes it), or undefined. */
export function managedGroupKind(groupKindName: string): ManagedKind | undefined {
  return MANAGED[groupKindName];
}
