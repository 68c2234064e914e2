/**
 * The prober's configuration types: the blackbox exporter's module format for the `http` and
 * `tcp` probers, plus three sections of our own (`target_policy`, `limits`, `targets`). A
 * `blackbox.yml` written for the exporter is a valid config here. Everything is frozen after
 * loading; durations are milliseconds.
 */
import type { ProbeRegexp } from '../regexp.js';
import type { CompiledPolicy } from './target-policy.js';

/** Names of the probers this build implements. */
export const PROBER_NAMES = ['http', 'tcp'] as const;
export type ProberName = (typeof PROBER_NAMES)[number];

/**
 * The exporter's other probers. A module using one loads (so the exporter's stock
 * `blackbox.yml` is a valid config) but cannot be probed: `/probe` answers 400 naming it.
 */
export const UNIMPLEMENTED_PROBER_NAMES = ['dns', 'icmp', 'grpc', 'unix', 'websocket'] as const;
export type UnimplementedProberName = (typeof UNIMPLEMENTED_PROBER_NAMES)[number];

/** IP families, in the exporter's spelling. */
export type IpProtocol = 'ip4' | 'ip6';

/** TLS versions, in the exporter's spelling. */
export const TLS_VERSIONS = ['TLS10', 'TLS11', 'TLS12', 'TLS13'] as const;
export type TlsVersionName = (typeof TLS_VERSIONS)[number];

/** `tls_config` of a module. Files are read at load time so a missing file fails the load, not a probe. */
export interface TlsConfig {
  /** Skip certificate verification. Default false. */
  readonly insecureSkipVerify: boolean;
  /** PEM CA bundle (contents of `ca_file`); undefined = system roots. */
  readonly ca: string | undefined;
  /** Client certificate (contents of `cert_file`). */
  readonly cert: string | undefined;
  /** Client key (contents of `key_file`). */
  readonly key: string | undefined;
  /** SNI and verification name; default the target's host name. */
  readonly serverName: string | undefined;
  /** Lowest TLS version offered; undefined = Node's default (TLS 1.2). */
  readonly minVersion: TlsVersionName | undefined;
  /** Highest TLS version offered; undefined = TLS 1.3. */
  readonly maxVersion: TlsVersionName | undefined;
}

/** One entry of `fail_if_header_matches` / `fail_if_header_not_matches`. */
export interface HeaderMatch {
  readonly header: string;
  readonly regexp: ProbeRegexp;
  /** For `fail_if_header_not_matches`: a missing header passes. Default false. */
  readonly allowMissing: boolean;
}

/** `http:` of a module. */
export interface HttpProbeConfig {
  /** Default: any 2xx (empty list). */
  readonly validStatusCodes: readonly number[];
  /** e.g. `HTTP/1.1`; empty = any. */
  readonly validHttpVersions: readonly string[];
  /** Default `GET`. */
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Request body (from `body` or `body_file`). */
  readonly body: string | undefined;
  /** Default true; at most 10 hops, like the exporter. */
  readonly followRedirects: boolean;
  readonly failIfSsl: boolean;
  readonly failIfNotSsl: boolean;
  readonly failIfBodyMatchesRegexp: readonly ProbeRegexp[];
  readonly failIfBodyNotMatchesRegexp: readonly ProbeRegexp[];
  readonly failIfHeaderMatches: readonly HeaderMatch[];
  readonly failIfHeaderNotMatches: readonly HeaderMatch[];
  readonly tlsConfig: TlsConfig;
  /** Default `ip6`, as the exporter. */
  readonly preferredIpProtocol: IpProtocol;
  /** Default true. */
  readonly ipProtocolFallback: boolean;
  readonly basicAuth: { readonly username: string; readonly password: string } | undefined;
  readonly bearerToken: string | undefined;
  /** Asked for with `Accept-Encoding` and decoded; '' = none asked, body taken as is. */
  readonly compression: '' | 'gzip' | 'br' | 'deflate' | 'identity';
  /** Bytes; 0 = no limit. A larger body fails the probe. */
  readonly bodySizeLimit: number;
}

/** One step of `query_response`. */
export interface QueryResponseStep {
  readonly expect: ProbeRegexp | undefined;
  readonly send: string | undefined;
  readonly starttls: boolean;
}

/** `tcp:` of a module. */
export interface TcpProbeConfig {
  readonly queryResponse: readonly QueryResponseStep[];
  /** Speak TLS from the start. Default false. */
  readonly tls: boolean;
  readonly tlsConfig: TlsConfig;
  readonly preferredIpProtocol: IpProtocol;
  readonly ipProtocolFallback: boolean;
}

/** One module (`modules.<name>`). */
export interface Module {
  readonly name: string;
  readonly prober: ProberName | UnimplementedProberName;
  /** 0 = no module timeout (the scrape's timeout applies). */
  readonly timeoutMs: number;
  readonly http: HttpProbeConfig;
  readonly tcp: TcpProbeConfig;
  /** The module as written (plain data), for `?debug=true`. */
  readonly source: unknown;
  /** The config's `target_policy`, compiled; every prober checks resolved addresses against it. */
  readonly policy: CompiledPolicy;
}

/**
 * `target_policy:` (ours): which targets may be probed. Checked on the resolved address, and
 * again on every redirect hop, so a DNS name or a redirect cannot smuggle a probe elsewhere.
 */
export interface TargetPolicy {
  /** Host patterns (`example.com`, `*.svc.cluster.local`) and CIDRs. Empty = every target. */
  readonly allow: readonly string[];
  /** Host patterns and CIDRs always refused. */
  readonly deny: readonly string[];
  /** Refuse link-local (169.254.0.0/16, fe80::/10) and cloud metadata addresses. Default true. */
  readonly blockLinkLocal: boolean;
}

/** `limits:` (ours). */
export interface Limits {
  /** `/probe` requests run at once; past it the answer is 503 + Retry-After. Default 100. */
  readonly maxConcurrentProbes: number;
  /** Seconds in `Retry-After` of that 503. Default 1. */
  readonly retryAfterSeconds: number;
}

/** One scheduled target (`targets[]`, ours). */
export interface ScheduledTarget {
  readonly target: string;
  readonly module: string;
  /** Default 15s. */
  readonly intervalMs: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** The whole configuration. */
export interface ProberConfig {
  readonly modules: Readonly<Record<string, Module>>;
  readonly targetPolicy: TargetPolicy;
  readonly limits: Limits;
  readonly targets: readonly ScheduledTarget[];
}
