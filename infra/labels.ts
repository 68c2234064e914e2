/**
 * Labels and selectors. Selectors derive from config names only (never from construct paths), so
 * renaming or moving a construct never changes an immutable Deployment selector.
 */

/** Label on every object of a fleet; `hello-cli deploy` prunes by it. */
export const FLEET_LABEL = 'hello-edge.dev/fleet';

/**
 * Annotation on every Namespace a fleet creates, naming that fleet. Destroy and prune delete a
 * namespace only when it names their fleet, so a namespace the fleet uses but does not own
 * (adopted, or labelled by an older version) is never deleted with everything in it.
 */
export const NAMESPACE_OWNER_ANNOTATION = 'hello-edge.dev/namespace-owner';

const COMMON = { 'app.kubernetes.io/part-of': 'hello-edge', 'app.kubernetes.io/managed-by': 'hello-edge' } as const;

/** The immutable selector of an app's pods: `app.kubernetes.io/name: hello` + `instance: <app>`. */
export function appSelector(app: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/instance': app };
}

/** Labels of every object of an app (selector labels plus component, part-of, managed-by). */
export function appLabels(app: string): Record<string, string> {
  return { ...appSelector(app), 'app.kubernetes.io/component': 'web', ...COMMON };
}

/** The immutable selector of the prober's pods. */
export function proberSelector(): Record<string, string> {
  return { 'app.kubernetes.io/name': 'hello-prober', 'app.kubernetes.io/instance': PROBER_NAME };
}

/** Labels of every prober object. */
export function proberLabels(): Record<string, string> {
  return { ...proberSelector(), 'app.kubernetes.io/component': 'prober', ...COMMON };
}

/** Labels of shared objects (namespaces, gateway). */
export function sharedLabels(): Record<string, string> {
  return { ...COMMON };
}

/** Name of the prober's Deployment, Service, ConfigMap and ServiceAccount. */
export const PROBER_NAME = 'hello-prober';
