/**
 * Namespace ownership. A fleet creates, labels and deletes only namespaces of its own: before an
 * apply, every namespace the manifests would create must be absent or already this fleet's, and
 * every namespace they only deploy into (adopted) must exist; destroy and prune delete a
 * namespace only when its owner annotation names this fleet.
 */
import { ConfigError, quoteValue } from '../../common/index.js';
import { FLEET_LABEL, NAMESPACE_OWNER_ANNOTATION } from '../labels.js';
import type { FleetManifests } from '../synth.js';
import { kubectl, type ClusterTarget } from './kubectl.js';

/** The metadata deploy reads from a live object. */
export interface LiveMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Namespaces the manifests create (Namespace objects), and those they only put objects into. */
export function manifestNamespaces(manifests: FleetManifests): { readonly created: Set<string>; readonly adopted: Set<string> } {
  const objects = manifests.files.flatMap((f) => f.objects);
  const created = new Set(objects.filter((o) => o.kind === 'Namespace' && o.apiVersion === 'v1').map((o) => o.metadata.name));
  const adopted = new Set(objects.map((o) => o.metadata.namespace).filter((ns): ns is string => ns !== undefined && !created.has(ns)));
  return { created, adopted };
}

/** The live namespaces, by name. */
export async function liveNamespaces(target: ClusterTarget): Promise<Map<string, LiveMetadata>> {
  const { stdout } = await kubectl(target, ['get', 'namespaces', '-o', 'json']);
  const items = (JSON.parse(stdout) as { items: { metadata: LiveMetadata }[] }).items;
  return new Map(items.map((item) => [item.metadata.name, item.metadata]));
}

/**
 * Refuses, before anything is applied, to take over a namespace: one the manifests would create
 * that exists without this fleet's label, or an adopted one that does not exist.
 * @throws ConfigError (field `namespaces.adopt`): nothing was changed.
 */
export async function checkNamespaceOwnership(target: ClusterTarget, manifests: FleetManifests): Promise<void> {
  const { created, adopted } = manifestNamespaces(manifests);
  const live = await liveNamespaces(target);
  for (const name of created) {
    const existing = live.get(name);
    const owner = existing?.labels?.[FLEET_LABEL];
    if (existing && owner !== manifests.fleet) {
      const whose = owner === undefined ? `has no ${FLEET_LABEL} label` : `belongs to fleet ${quoteValue(owner)}`;
      throw new ConfigError('namespaces.adopt', `namespace ${quoteValue(name)} exists and ${whose}; deploy never takes over a namespace it did not create: use a namespace of the fleet's own, or list ${quoteValue(name)} in namespaces.adopt to deploy into it without owning it`);
    }
  }
  for (const name of adopted) {
    if (!live.has(name)) {
      throw new ConfigError('namespaces.adopt', `namespace ${quoteValue(name)} does not exist; the fleet deploys into it without creating it (it is adopted): create it first, or remove it from namespaces.adopt`);
    }
  }
}

/** True when destroy or prune may delete this live object: anything of the fleet but a namespace it does not own. */
export function mayDelete(kind: string, metadata: LiveMetadata, fleet: string): boolean {
  return kind !== 'Namespace' || metadata.annotations?.[NAMESPACE_OWNER_ANNOTATION] === fleet;
}
