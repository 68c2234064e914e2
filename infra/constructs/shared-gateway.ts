import { Construct } from 'constructs';
import { Gateway, GatewaySpecListenersAllowedRoutesNamespacesFrom, GatewaySpecListenersTlsMode } from '../imports/gateway.networking.k8s.io.js';
import type { FleetConfig } from '../config/index.js';
import { sharedLabels } from '../labels.js';
import { HTTP_LISTENER, httpsListenerName } from './hello-app.js';

/** Props of {@link SharedGateway}. */
export interface SharedGatewayProps {
  readonly fleet: FleetConfig;
}

/**
 * A Gateway for the fleet (when `routing.gateway.create` is true): one plain-HTTP listener that
 * the redirect routes attach to and one HTTPS listener per host, each with its own certificate
 * issued by cert-manager (its Gateway API support must be switched on).
 */
export class SharedGateway extends Construct {
  constructor(scope: Construct, id: string, props: SharedGatewayProps) {
    super(scope, id);
    const { fleet } = props;
    const gw = fleet.routing.gateway;
    const issuerKey = fleet.routing.tls.issuerKind === 'ClusterIssuer' ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer';
    const hosts = [...new Set(fleet.apps.flatMap((a) => a.hosts.map((h) => h.host)))];
    const fromAll = { namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.ALL } };
    new Gateway(this, 'gateway', {
      metadata: {
        name: gw.parentRef.name,
        namespace: gw.parentRef.namespace,
        labels: sharedLabels(),
        annotations: { [issuerKey]: fleet.routing.tls.issuer },
      },
      spec: {
        gatewayClassName: gw.className,
        listeners: [
          { name: HTTP_LISTENER, port: 80, protocol: 'HTTP', allowedRoutes: fromAll },
          ...hosts.map((host) => ({
            name: httpsListenerName(host),
            hostname: host,
            port: 443,
            protocol: 'HTTPS',
            allowedRoutes: fromAll,
            tls: { mode: GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ kind: 'Secret', name: `${httpsListenerName(host)}-tls` }] },
          })),
        ],
      },
    });
  }
}
