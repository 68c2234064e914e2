/**
 * Kubernetes value formats as schemas (common/validate.ts): names, hosts, paths, labels, CIDRs,
 * quantities. Each refuses what the API server would refuse, or what would change its meaning on
 * the way there; each pattern is RE2-compatible, so the Helm chart's values.schema.json can use it.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { type JsonSchema, type Schema, define, record, refine, string } from '../../common/index.js';
import { BYTES_ALLOWED, BYTES_PATTERN, CPU_ALLOWED, CPU_PATTERN, parseBytes, parseCpu } from '../quantity.js';

/** DNS-1123 label: lowercase alphanumerics and '-', at most 63, starting and ending alphanumeric. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A DNS label (names of namespaces, classes, issuers...). */
export function dnsLabel(allowed = 'a DNS label (lowercase letters, digits and "-", at most 63 characters)'): Schema<string> {
  return string({ pattern: DNS_LABEL, maxLength: 63, allowed });
}

/**
 * Namespaces a fleet never creates, labels or deletes: Kubernetes' own. `kube-*` covers those
 * and the ones add-ons create beside them.
 */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** True for a namespace no fleet may own (see {@link SYSTEM_NAMESPACES}). */
export function isSystemNamespace(name: string): boolean {
  return SYSTEM_NAMESPACES.includes(name) || name.startsWith('kube-');
}

/** Why a namespace cannot be the fleet's, or undefined when it can. */
export function systemNamespaceProblem(name: string): string | undefined {
  return isSystemNamespace(name) ? 'it is a system namespace (default, kube-*), which a fleet never takes over; use a namespace of its own' : undefined;
}

/** A namespace the fleet creates and owns: a DNS label, never a system namespace. */
export function ownedNamespace(): Schema<string> {
  return refine(dnsLabel('a DNS label naming a namespace of the fleet\'s own (not default or kube-*)'), systemNamespaceProblem);
}

// A host name: DNS-1123 subdomain of at least two labels, each at most 63 characters, whose last
// label starts with a letter (so no IP address passes as a host). No wildcard, no scheme, no port.
const HOST_LABEL = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
const HOST_NAME = new RegExp(`^(${HOST_LABEL}\\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`);

/** A host an app is served on, e.g. `hello.example.com`. */
export const hostNameSchema: Schema<string> = string({
  pattern: HOST_NAME,
  maxLength: 253,
  allowed: 'a lowercase DNS name such as "hello.example.com" (labels of at most 63 characters; no IP address, wildcard or scheme)',
});

// An absolute URL path of the characters RFC 3986 allows in a path.
const URL_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/** A path an app is served under: absolute, without `.`/`..` segments or `//` (ingress controllers refuse or rewrite those). */
export const urlPathSchema: Schema<string> = string({
  pattern: URL_PATH,
  maxLength: 1024,
  allowed: 'an absolute URL path such as "/" or "/api"',
  check: (path) => (/(^|\/)\.\.?(\/|$)|\/\/|%2[eEfF]/.test(path) ? 'use a path without "." or ".." segments, "//" or encoded "." and "/"' : undefined),
});

// A label value: at most 63 characters, alphanumerics at both ends, '-', '_', '.' between.
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
// A label or annotation key: an optional DNS-subdomain prefix and '/', then a name of at most 63.
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A label or annotation key (`[prefix/]name`; prefix at most 253, name at most 63 characters). */
export const labelKeySchema: Schema<string> = string({
  pattern: LABEL_KEY,
  maxLength: 317,
  allowed: 'a Kubernetes label/annotation key ([prefix/]name, name at most 63 characters)',
  check: (key) => ((key.split('/')[0]?.length ?? 0) > 253 && key.includes('/') ? 'use a key prefix of at most 253 characters' : undefined),
});

/** A label value (at most 63 characters). */
export const labelValueSchema: Schema<string> = string({
  pattern: LABEL_VALUE,
  maxLength: 63,
  allowed: 'a label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
});

/** Labels: keys and values as the API server checks them. */
export const labelsSchema = record(labelValueSchema, { key: labelKeySchema });

/** Annotations: label-style keys, any string value. */
export const annotationsSchema = record(string(), { key: labelKeySchema });

const IPV4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4_CIDR = `${IPV4_OCTET}(\\.${IPV4_OCTET}){3}/([0-9]|[12][0-9]|3[0-2])`;
const IPV6_CIDR = '[0-9a-fA-F.]*:[0-9a-fA-F:.]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])';

/** An IPv4 or IPv6 CIDR, each part in range (`999.0.0.0/99` is refused). */
export const cidrSchema: Schema<string> = string({
  pattern: new RegExp(`^(${IPV4_CIDR}|${IPV6_CIDR})$`),
  maxLength: 64,
  allowed: 'an IPv4 or IPv6 CIDR such as "203.0.113.0/24"',
  check: (cidr) => {
    const [address = '', prefix = ''] = cidr.split('/');
    return (address.includes(':') ? isIPv6(address) && Number(prefix) <= 128 : isIPv4(address)) ? undefined : 'use an IPv4 or IPv6 CIDR whose address and prefix length are in range';
  },
});

/** A schema over a quantity parser of quantity.ts, with its RE2 pattern for JSON Schema. */
function quantity(parse: (text: unknown, field: string) => number, pattern: string, allowed: string): Schema<number> {
  const json: JsonSchema = { type: 'string', pattern, description: `use ${allowed}` };
  return define({ allowed, parse, jsonSchema: () => json });
}

/** A CPU quantity, in millicores. */
export const cpuSchema = quantity(parseCpu, CPU_PATTERN, CPU_ALLOWED);
/** A memory or ephemeral-storage quantity, in bytes. */
export const bytesSchema = quantity(parseBytes, BYTES_PATTERN, BYTES_ALLOWED);
