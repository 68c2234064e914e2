/**
 * Which listener of a Gateway each synthesized HTTPRoute attaches to, decided by the Gateway API's
 * attachment rules (v1.6.1, the CRDs in infra/crds, whose field descriptions are the spec text):
 *
 * - HTTPRoute `spec.parentRefs[]` (ParentReference): `group`/`kind` default to
 *   gateway.networking.k8s.io/Gateway; `namespace` defaults to the Route's; `sectionName` is the
 *   Listener name, and "when unspecified (empty string), this will reference the entire resource";
 *   `port` (Extended) selects the listeners on that port; "when both Port and SectionName are
 *   specified, the name and port of the selected listener must match both specified values".
 * - Gateway `spec.listeners[].allowedRoutes.namespaces.from`: `Same` (the default), `All`, or
 *   `Selector` (Routes in namespaces whose labels match `selector`).
 * - `allowedRoutes.kinds`: "when unspecified or empty, the kinds of Routes selected are determined
 *   using the Listener protocol": HTTPRoute for HTTP and HTTPS listeners.
 * - HTTPRoute `spec.hostnames` and Listener `hostname`: "If a hostname is specified by both the
 *   Listener and HTTPRoute, there must be at least one intersecting hostname for the HTTPRoute to
 *   be attached to the Listener"; a `*.` prefix is a suffix match that does not match the bare
 *   domain; either side unset matches everything.
 *
 * The test asserts that on an HTTP listener only the redirect routes attach, and on an HTTPS
 * listener only the app routes, for a Gateway the fleet creates and for an existing one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type KubeObject, parseFleetConfig, synthesizeFleet } from '../../infra/index.js';
import { type Json, allObjects, findOne, minimalInput } from './support.js';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** `namespace/name` of every HTTPRoute attached to each listener of `gateway`, by listener name. */
function attachments(gateway: Json, objects: readonly KubeObject[]): Record<string, string[]> {
  const routes = objects.filter((o) => o.kind === 'HTTPRoute') as Json[];
  const namespaces = objects.filter((o) => o.kind === 'Namespace') as Json[];
  const result: Record<string, string[]> = {};
  for (const listener of gateway.spec.listeners) {
    result[listener.name] = routes
      .filter((route) => route.spec.parentRefs.some((ref: Json) => selectsListener(ref, route, gateway, listener)))
      .filter((route) => allowsRoute(listener, gateway, route, namespaces))
      .map((route) => `${route.metadata.namespace}/${route.metadata.name}`);
  }
  return result;
}

/** The parentRef names this Gateway, and this listener of it (sectionName and port, when set). */
function selectsListener(ref: Json, route: Json, gateway: Json, listener: Json): boolean {
  return (ref.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && (ref.kind ?? 'Gateway') === 'Gateway'
    && ref.name === gateway.metadata.name && (ref.namespace ?? route.metadata.namespace) === gateway.metadata.namespace
    && (ref.sectionName === undefined || ref.sectionName === listener.name)
    && (ref.port === undefined || ref.port === listener.port);
}

/** The listener accepts the route: its kind, its namespace and at least one of its hostnames. */
function allowsRoute(listener: Json, gateway: Json, route: Json, namespaces: readonly Json[]): boolean {
  const kinds: Json[] = listener.allowedRoutes?.kinds ?? [];
  const kindOk = kinds.length > 0
    ? kinds.some((k) => (k.group ?? GATEWAY_GROUP) === GATEWAY_GROUP && k.kind === 'HTTPRoute')
    : listener.protocol === 'HTTP' || listener.protocol === 'HTTPS';
  const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
  const routeNamespace = route.metadata.namespace;
  let namespaceOk = from === 'All' || (from === 'Same' && routeNamespace === gateway.metadata.namespace);
  if (from === 'Selector') {
    const selector = listener.allowedRoutes.namespaces.selector;
    assert.equal(selector.matchExpressions, undefined, 'matchExpressions are not evaluated here');
    // The API server labels every Namespace with its own name (kubernetes.io/metadata.name).
    const labels = { ...namespaces.find((n) => n.metadata.name === routeNamespace)?.metadata.labels, 'kubernetes.io/metadata.name': routeNamespace };
    namespaceOk = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  }
  const hostnames: string[] = route.spec.hostnames ?? [];
  const hostOk = listener.hostname === undefined || hostnames.length === 0 || hostnames.some((h) => hostnamesIntersect(listener.hostname, h));
  return kindOk && namespaceOk && hostOk;
}

function hostnamesIntersect(a: string, b: string): boolean {
  const suffixMatch = (wildcard: string, host: string) => wildcard.startsWith('*.') && host.endsWith(wildcard.slice(1));
  return a === b || suffixMatch(a, b) || suffixMatch(b, a);
}

/** An existing Gateway as a platform team might run it: HTTP and HTTPS listeners on the same hostname, Routes from every namespace. */
function existingGateway(httpsListenerName: string): Json {
  const listener = (name: string, port: number, protocol: string) => ({ name, port, protocol, hostname: '*.example.com', allowedRoutes: { namespaces: { from: 'All' } } });
  return {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: 'gw' },
    spec: { gatewayClassName: 'any', listeners: [listener('http', 80, 'HTTP'), listener(httpsListenerName, 443, 'HTTPS')] },
  };
}

const twoApps = (routing: Record<string, unknown>) => synthesizeFleet(parseFleetConfig({
  ...minimalInput({ routing: { kind: 'gateway', ...routing } }),
  apps: [
    { name: 'web', hosts: [{ host: 'web.example.com' }, { host: 'www.example.com', path: '/shop' }], image: 'ghcr.io/acme/hello:1.2.3' },
    { name: 'api', host: 'api.example.com', image: 'ghcr.io/acme/hello:1.2.3' },
  ],
}));

test('existing Gateway: the HTTP listener gets only the redirect routes, the HTTPS listener (sectionName https by default) only the app routes', () => {
  const objects = allObjects(twoApps({ gateway: { parentRef: { name: 'edge', namespace: 'gw' } } }));
  assert.deepEqual(attachments(existingGateway('https'), objects), {
    http: ['hello-web/web-https-redirect', 'hello-api/api-https-redirect'],
    https: ['hello-web/web', 'hello-api/api'],
  });
});

test('existing Gateway with routing.gateway.parentRef.sectionName: the app routes attach to that listener only', () => {
  const objects = allObjects(twoApps({ gateway: { parentRef: { name: 'edge', namespace: 'gw', sectionName: 'https-public' } } }));
  assert.deepEqual(attachments(existingGateway('https-public'), objects), {
    http: ['hello-web/web-https-redirect', 'hello-api/api-https-redirect'],
    'https-public': ['hello-web/web', 'hello-api/api'],
  });
});

test('created Gateway: the HTTP listener gets only the redirect routes, each host\'s HTTPS listener only the app route serving that host', () => {
  const objects = allObjects(twoApps({ gateway: { parentRef: { name: 'edge', namespace: 'gw' }, create: true } }));
  assert.deepEqual(attachments(findOne(objects, 'Gateway', 'edge'), objects), {
    http: ['hello-web/web-https-redirect', 'hello-api/api-https-redirect'],
    'https-web-example-com': ['hello-web/web'],
    'https-www-example-com': ['hello-web/web'],
    'https-api-example-com': ['hello-api/api'],
  });
});

test('the attachment rules are not a no-op: an app route without sectionName would attach to the HTTP listener too', () => {
  const objects = allObjects(twoApps({ gateway: { parentRef: { name: 'edge', namespace: 'gw' } } })).map((o) => structuredClone(o) as Json);
  delete findOne(objects, 'HTTPRoute', 'web').spec.parentRefs[0].sectionName;
  const attached = attachments(existingGateway('https'), objects);
  assert.deepEqual(attached.http, ['hello-web/web', 'hello-web/web-https-redirect', 'hello-api/api-https-redirect']);
  // And each of the other rules keeps a route off a listener it names.
  const gateway = existingGateway('https');
  gateway.spec.listeners[1].hostname = 'other.example.org';
  assert.deepEqual(attachments(gateway, objects).https, [], 'no intersecting hostname');
  gateway.spec.listeners[1] = { ...gateway.spec.listeners[1], hostname: undefined, allowedRoutes: { namespaces: { from: 'Same' } } };
  assert.deepEqual(attachments(gateway, objects).https, [], 'routes from other namespaces not allowed');
  gateway.spec.listeners[1].allowedRoutes = { namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'hello-api' } } } };
  assert.deepEqual(attachments(gateway, objects).https, ['hello-api/api'], 'only the selected namespace');
});
