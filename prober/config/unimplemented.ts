/**
 * Sections of the exporter's probers this build does not implement (`dns`, `icmp`, `grpc`,
 * `unix`, `websocket`). Their modules load, so the exporter's stock `blackbox.yml` is a valid
 * config, and cannot be probed; their keys are still checked against the exporter's config
 * structs (config/config.go and prometheus/common's HTTP client config), so a typo is an error
 * here too, and their credentials are secrets like any other.
 */
import { integer, list, object, oneOf, optional, quoteValue, record, secret, type Schema } from '../../common/index.js';
import { flag, headers, ipProtocol, queryResponseStep, regexp, rule, text } from './fields.js';
import type { UnimplementedProberName } from './types.js';

const secretText = secret(text);

/** prometheus/common's `tls_config` (files are read by the exporter at probe time, so not here). */
const tlsConfig = object({
  ca: optional(text),
  ca_file: optional(text),
  ca_ref: optional(text),
  cert: optional(text),
  cert_file: optional(text),
  cert_ref: optional(text),
  key: optional(secretText),
  key_file: optional(text),
  key_ref: optional(text),
  server_name: optional(text),
  insecure_skip_verify: optional(flag),
  min_version: optional(oneOf(['TLS10', 'TLS11', 'TLS12', 'TLS13'])),
  max_version: optional(oneOf(['TLS10', 'TLS11', 'TLS12', 'TLS13'])),
});

const family = { preferred_ip_protocol: optional(ipProtocol), ip_protocol_fallback: optional(flag) };

const rrValidator = object({
  fail_if_matches_regexp: optional(list(regexp)),
  fail_if_all_match_regexp: optional(list(regexp)),
  fail_if_not_matches_regexp: optional(list(regexp)),
  fail_if_none_matches_regexp: optional(list(regexp)),
});

const dns = object({
  ...family,
  dns_over_tls: optional(flag),
  tls_config: optional(tlsConfig),
  source_ip_address: optional(text),
  transport_protocol: optional(oneOf(['udp', 'tcp'])),
  query_class: optional(oneOf(['IN', 'CS', 'CH', 'HS', 'NONE', 'ANY'])),
  // The exporter: "query name must be set for DNS module".
  query_name: rule(text, (name) => (name === '' ? 'is empty; the dns prober needs a name to query' : undefined)),
  query_type: optional(rule(text, (type) => (/^[A-Z][A-Z0-9]*$/.test(type) ? undefined : `${quoteValue(type)} is not a DNS record type; use e.g. A, AAAA, MX or TXT`))),
  recursion_desired: optional(flag),
  valid_rcodes: optional(list(rule(text, (code) => (/^[A-Z]+$/.test(code) ? undefined : `${quoteValue(code)} is not a DNS rcode; use e.g. NOERROR or NXDOMAIN`)))),
  validate_answer_rrs: optional(rrValidator),
  validate_authority_rrs: optional(rrValidator),
  validate_additional_rrs: optional(rrValidator),
});

const icmp = object({
  ...family,
  source_ip_address: optional(text),
  payload_size: optional(integer(0, 65_507)),
  dont_fragment: optional(flag),
  ttl: optional(integer(0, 255)),
});

const grpc = object({
  ...family,
  service: optional(text),
  tls: optional(flag),
  tls_config: optional(tlsConfig),
  metadata: optional(record(list(text))),
});

const unix = object({ query_response: optional(list(queryResponseStep)), tls: optional(flag), tls_config: optional(tlsConfig) });

const proxy = {
  proxy_url: optional(text),
  no_proxy: optional(text),
  proxy_from_environment: optional(flag),
  proxy_connect_header: optional(record(list(secretText))),
};

/** prometheus/common's HTTP client config (the websocket prober's `http_config`). */
const httpClientConfig = object({
  basic_auth: optional(
    object({
      username: optional(text),
      username_file: optional(text),
      username_ref: optional(text),
      password: optional(secretText),
      password_file: optional(text),
      password_ref: optional(text),
    }),
  ),
  authorization: optional(object({ type: optional(text), credentials: optional(secretText), credentials_file: optional(text), credentials_ref: optional(text) })),
  oauth2: optional(
    object({
      client_id: text,
      client_secret: optional(secretText),
      client_secret_file: optional(text),
      client_secret_ref: optional(text),
      scopes: optional(list(text)),
      token_url: text,
      endpoint_params: optional(record(text)),
      tls_config: optional(tlsConfig),
      ...proxy,
    }),
  ),
  bearer_token: optional(secretText),
  bearer_token_file: optional(text),
  tls_config: optional(tlsConfig),
  follow_redirects: optional(flag),
  enable_http2: optional(flag),
  ...proxy,
  http_headers: optional(record(object({ values: optional(list(text)), secrets: optional(list(secretText)), files: optional(list(text)) }))),
});

const websocket = object({ ...family, http_config: optional(httpClientConfig), headers: optional(headers), query_response: optional(list(queryResponseStep)) });

/** The section schema of each prober we do not implement, by its key in a module. */
export const UNIMPLEMENTED_SECTIONS: Readonly<Record<UnimplementedProberName, Schema<unknown>>> = { dns, icmp, grpc, unix, websocket };
