/**
 * The chart's on/off switches. Every combination is synthesized, and each document is wrapped in
 * the simplest condition under which it exists with that content.
 */
import type { FleetConfig, MonitoringConfig, RoutingConfig } from '../config/index.js';

/** A switch of the chart: Gateway API routes, monitoring, a shared exporter instead of the local prober. */
export type Toggle = 'gateway' | 'monitoring' | 'sharedProber';
/** One combination of the switches. */
export type Variant = Readonly<Record<Toggle, boolean>>;

const TOGGLES: readonly Toggle[] = ['gateway', 'monitoring', 'sharedProber'];
const CONDITION: Readonly<Record<Toggle, string>> = {
  gateway: '.Values.gatewayApi.enabled',
  monitoring: '.Values.monitoring.enabled',
  sharedProber: '.Values.monitoring.prober.url',
};

/** Placeholders of the values a variant's config holds instead of the config's own. */
export interface VariantPlaceholders {
  readonly gatewayName: string;
  readonly gatewayNamespace: string;
  readonly proberUrl: string;
}

/** Every combination of the switches. */
export function allVariants(): Variant[] {
  const out: Variant[] = [];
  for (let bits = 0; bits < 1 << TOGGLES.length; bits++) {
    out.push(Object.fromEntries(TOGGLES.map((t, i) => [t, (bits & (1 << i)) !== 0])) as Variant);
  }
  return out;
}

/** The variant that synthesizes the same objects (without monitoring the prober switch changes nothing). */
export function effectiveVariant(v: Variant): Variant {
  return v.monitoring ? v : { ...v, sharedProber: false };
}

/** A key naming a variant, e.g. `101`. */
export function variantKey(v: Variant): string {
  return TOGGLES.map((t) => (v[t] ? '1' : '0')).join('');
}

/** The config synthesized for a variant: its switches set, and placeholders where values go. */
export function variantConfig(config: FleetConfig, v: Variant, p: VariantPlaceholders): FleetConfig {
  const gw = config.routing.gateway;
  const routing: RoutingConfig = {
    ...config.routing,
    kind: v.gateway ? 'gateway' : 'ingress',
    gateway: {
      ...gw,
      parentRef: { ...gw.parentRef, name: p.gatewayName, namespace: p.gatewayNamespace },
      create: config.routing.kind === 'gateway' && gw.create,
      dataplaneNamespace: gw.dataplaneNamespace === gw.parentRef.namespace ? p.gatewayNamespace : gw.dataplaneNamespace,
    },
  };
  const monitoring: MonitoringConfig = {
    ...config.monitoring,
    enabled: v.monitoring,
    prober: { ...config.monitoring.prober, mode: v.sharedProber ? 'shared' : 'local', url: v.sharedProber ? p.proberUrl : '' },
  };
  return { ...config, routing, monitoring };
}

/** The simplest condition true exactly for `where` among `all`, or undefined when it is all of them. */
export function conditionFor(where: readonly Variant[], all: readonly Variant[]): string | undefined {
  const inSet = (v: Variant) => where.some((w) => TOGGLES.every((t) => w[t] === v[t]));
  if (all.every(inSet)) return undefined;
  // The smallest set of toggles that decides membership; then a disjunction of their assignments.
  for (let size = 1; size <= TOGGLES.length; size++) {
    for (const vars of subsets(TOGGLES, size)) {
      const decided = new Map<string, boolean>();
      let consistent = true;
      for (const v of all) {
        const k = vars.map((t) => (v[t] ? '1' : '0')).join('');
        const member = inSet(v);
        if (decided.has(k) && decided.get(k) !== member) consistent = false;
        decided.set(k, member);
      }
      if (!consistent) continue;
      const terms = [...decided].filter(([, member]) => member).map(([k]) => {
        const atoms = vars.map((t, i) => (k[i] === '1' ? CONDITION[t] : `(not ${CONDITION[t]})`));
        return atoms.length === 1 ? atoms[0] as string : `(and ${atoms.join(' ')})`;
      });
      return terms.length === 1 ? stripParens(terms[0] as string) : `or ${terms.join(' ')}`;
    }
  }
  return 'false';
}

function stripParens(term: string): string {
  return term.startsWith('(') && term.endsWith(')') ? term.slice(1, -1) : term;
}

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of subsets(items.slice(i + 1), size - 1)) out.push([item, ...rest]);
  });
  return out;
}
