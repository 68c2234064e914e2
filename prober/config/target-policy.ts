import { BlockList, isIP } from 'node:net';
import { ConfigError, quoteValue } from '../../common/index.js';
import type { TargetPolicy } from './types.js';

/** A parsed `target_policy` entry: a host pattern or a CIDR. */
export type PolicyPattern = { readonly kind: 'host'; readonly host: string; readonly wildcard: boolean } | { readonly kind: 'cidr'; readonly list: BlockList };

const HOST_PATTERN = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/**
 * Parses `10.0.0.0/8`, `::1`, `127.0.0.1`, `example.com` or `*.svc.cluster.local`.
 * @throws ConfigError naming `field` when the entry is neither a CIDR nor a host pattern.
 */
export function parsePattern(text: string, field: string): PolicyPattern {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family !== 0) {
    const max = family === 4 ? 32 : 128;
    const prefix = slash === -1 ? max : Number(text.slice(slash + 1));
    if (!/^\d+$/.test(slash === -1 ? String(max) : text.slice(slash + 1)) || prefix > max) {
      throw new ConfigError(field, `${quoteValue(text)} has a bad prefix length; use 0 to ${max}`);
    }
    const list = new BlockList();
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
    return { kind: 'cidr', list };
  }
  if (slash !== -1 || !HOST_PATTERN.test(text)) {
    throw new ConfigError(field, `${quoteValue(text)} is neither a CIDR (10.0.0.0/8, ::1/128) nor a host pattern (example.com, *.example.com)`);
  }
  const wildcard = text.startsWith('*.');
  return { kind: 'host', host: (wildcard ? text.slice(1) : text).toLowerCase(), wildcard };
}

// Link-local ranges carry the cloud metadata services (169.254.169.254 on AWS, GCP, Azure,
// OpenStack); the others are metadata addresses outside link-local.
const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');
LINK_LOCAL.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
LINK_LOCAL.addAddress('168.63.129.16', 'ipv4'); // Azure wire server
LINK_LOCAL.addAddress('fd00:ec2::254', 'ipv6'); // AWS IMDS over IPv6

/**
 * Reduces an address to the form policies are checked on: IPv4-mapped IPv6 (`::ffff:a.b.c.d`)
 * becomes the IPv4 address, so a mapped form cannot slip past an IPv4 rule.
 */
export function canonicalAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return { address: mapped[1] as string, family: 'ipv4' };
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(bare);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1] as string, 16);
    const lo = parseInt(hexMapped[2] as string, 16);
    return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
  }
  return { address: bare, family: isIP(bare) === 4 ? 'ipv4' : 'ipv6' };
}

/** A compiled policy: `check` answers why a (host, resolved address) pair is refused, or undefined. */
export interface CompiledPolicy {
  check(hostname: string, address: string): string | undefined;
}

/** Compiles a `target_policy` once per config load. */
export function compilePolicy(policy: TargetPolicy): CompiledPolicy {
  const allow = policy.allow.map((p, i) => parsePattern(p, `target_policy.allow[${i}]`));
  const deny = policy.deny.map((p, i) => parsePattern(p, `target_policy.deny[${i}]`));
  const matches = (pattern: PolicyPattern, hostname: string, address: string, family: 'ipv4' | 'ipv6'): boolean => {
    if (pattern.kind === 'cidr') return pattern.list.check(address, family);
    const host = hostname.toLowerCase().replace(/\.$/, '');
    return pattern.wildcard ? host.endsWith(pattern.host) && host.length > pattern.host.length : host === pattern.host;
  };
  return {
    check(hostname, rawAddress) {
      const { address, family } = canonicalAddress(rawAddress);
      const host = hostname.replace(/^\[|\]$/g, '');
      if (policy.blockLinkLocal && LINK_LOCAL.check(address, family)) {
        return `address ${address} is link-local or a cloud metadata address (target_policy.block_link_local)`;
      }
      if (deny.some((p) => matches(p, host, address, family))) return `${host} (${address}) matches target_policy.deny`;
      if (allow.length > 0 && !allow.some((p) => matches(p, host, address, family))) {
        return `${host} (${address}) is not in target_policy.allow`;
      }
      return undefined;
    },
  };
}
