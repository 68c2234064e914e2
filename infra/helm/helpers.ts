/**
 * templates/_helpers.tpl: the named templates the generated templates call. Quantities are parsed
 * and printed the way infra/quantity.ts does, so the chart's objects equal the YAML output; the
 * SLO's bucket tables come from alerts.ts' own sloTerms.
 */
import { formatDuration } from '../../common/index.js';
import { PROBER_DURATION_BUCKETS } from '../../prober/contract.js';
import { sloTerms } from '../alerts.js';
import { ROLLOUT, SYSTEM_NAMESPACES } from '../config/index.js';
import { BYTES_ALLOWED, CPU_ALLOWED, MAX_BYTES, MAX_CPU_MILLIS } from '../quantity.js';

// The units of a memory or storage quantity, as infra/quantity.ts reads them.
const BYTE_FACTORS = goLiteral({ '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 });

/** A Go template literal of plain data: strings, numbers, lists (`list`) and maps (`dict`). */
export function goLiteral(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `(list ${value.map(goLiteral).join(' ')})`;
  if (value !== null && typeof value === 'object') {
    return `(dict ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)} ${goLiteral(v)}`).join(' ')})`;
  }
  throw new Error(`internal error: ${String(value)} has no template literal`);
}

/**
 * The SLO thresholds the values take, each spelling with its bucket in seconds: every prober
 * histogram bucket in milliseconds (`300ms`), in seconds (`0.3s`) and as formatDuration writes it.
 */
export function thresholdSpellings(): Map<string, number> {
  return new Map(PROBER_DURATION_BUCKETS.flatMap((b) => {
    const ms = Math.round(b * 1000);
    return [`${ms}ms`, `${b}s`, formatDuration(ms)].map((spelling) => [spelling, b] as const);
  }));
}

/** A `dict` from each threshold spelling to `term` of its bucket. */
function bucketTable(term: (seconds: number) => string): string {
  return goLiteral(Object.fromEntries([...thresholdSpellings()].map(([spelling, b]) => [spelling, term(b)])));
}

/** The text of templates/_helpers.tpl. */
export function helpersTpl(): string {
  const terms = (seconds: number) => sloTerms({ latencyThresholdSeconds: seconds, latencyObjective: 0.99 });
  return `${IMAGE}
${quantities()}
${namespaceTotals()}
{{/* The histogram bucket matcher of an SLO threshold ("300ms" -> le="0.3"). */}}
{{- define "hello-edge.leMatcher" -}}
{{- get ${bucketTable((s) => terms(s).leMatcher)} . -}}
{{- end -}}

{{/* An SLO threshold in milliseconds ("300ms" -> 300). */}}
{{- define "hello-edge.thresholdMs" -}}
{{- get ${bucketTable((s) => terms(s).thresholdMs)} . -}}
{{- end -}}
${SLO_NUMBERS}
${checks()}`;
}

const IMAGE = `{{/*
The image reference of an app: repository@digest when a digest is set (it wins), else repository:tag.
*/}}
{{- define "hello-edge.image" -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else -}}
{{- printf "%s:%s" .repository (toString .tag) -}}
{{- end -}}
{{- end -}}
`;

// Parsing and printing as infra/quantity.ts does; values.schema.json has checked the forms and
// hello-edge.checkAmount the ranges.
const quantities = () => `{{/* Whole millicores of a CPU quantity ("250m", "0.5", "2"). */}}
{{- define "hello-edge.millicores" -}}
{{- $q := toString . -}}
{{- if hasSuffix "m" $q -}}
{{- atoi (trimSuffix "m" $q) -}}
{{- else -}}
{{- $parts := splitList "." (printf "%s." $q) -}}
{{- add (mul (atoi (index $parts 0)) 1000) (atoi (trunc 3 (printf "%s000" (index $parts 1)))) -}}
{{- end -}}
{{- end -}}

{{/* Bytes of a memory or storage quantity ("64Mi", "1Gi", "500M"). */}}
{{- define "hello-edge.bytes" -}}
{{- $q := toString . -}}
{{- $unit := regexFind "[A-Za-z]+$" $q -}}
{{- mul (atoi (trimSuffix $unit $q)) (get ${BYTE_FACTORS} $unit) -}}
{{- end -}}

{{/* Millicores as Kubernetes prints them: whole cores without a unit, else NNNm. */}}
{{- define "hello-edge.formatCpu" -}}
{{- $m := atoi (toString .) -}}
{{- if eq (mod $m 1000) 0 }}{{ div $m 1000 }}{{ else }}{{ $m }}m{{ end -}}
{{- end -}}

{{/* Bytes with the largest binary unit that divides them exactly. */}}
{{- define "hello-edge.formatBytes" -}}
{{- $b := atoi (toString .) -}}
{{- $out := toString $b -}}
{{- range $unit := list "Ki" "Mi" "Gi" "Ti" -}}
{{- $factor := get (dict "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776) $unit -}}
{{- if eq (mod $b $factor) 0 }}{{ $out = printf "%d%s" (div $b $factor) $unit }}{{ end -}}
{{- end -}}
{{- $out -}}
{{- end -}}

{{/* A CPU quantity as Kubernetes prints it. */}}
{{- define "hello-edge.cpu" -}}
{{- include "hello-edge.formatCpu" (include "hello-edge.millicores" .) -}}
{{- end -}}

{{/* A memory or storage quantity as Kubernetes prints it. */}}
{{- define "hello-edge.memory" -}}
{{- include "hello-edge.formatBytes" (include "hello-edge.bytes" .) -}}
{{- end -}}

{{/* (list key quantity): whole millicores for "cpu", bytes for "memory" and "ephemeralStorage". */}}
{{- define "hello-edge.amount" -}}
{{- if eq (index . 0) "cpu" }}{{ include "hello-edge.millicores" (index . 1) }}{{ else }}{{ include "hello-edge.bytes" (index . 1) }}{{ end -}}
{{- end -}}

{{/* (list key amount): an amount of hello-edge.amount printed as a quantity. */}}
{{- define "hello-edge.formatAmount" -}}
{{- if eq (index . 0) "cpu" }}{{ include "hello-edge.formatCpu" (index . 1) }}{{ else }}{{ include "hello-edge.formatBytes" (index . 1) }}{{ end -}}
{{- end -}}
`;

// A workload is (dict "resources" <requests and limits> "maxPods" <most pods at once>).
const namespaceTotals = () => `{{/* Most pods of an app during a rollout: maxReplicas plus the ${ROLLOUT.appMaxSurgePercent} % surge, rounded up (maxPodsDuringRollout). */}}
{{- define "hello-edge.rolloutPods" -}}
{{- $max := int . -}}
{{- add $max (div (add (mul $max ${ROLLOUT.appMaxSurgePercent}) 99) 100) -}}
{{- end -}}

{{/* (list workloads...): the pods they can run at once. */}}
{{- define "hello-edge.pods" -}}
{{- $sum := 0 -}}
{{- range . }}{{ $sum = add $sum .maxPods }}{{ end -}}
{{- $sum -}}
{{- end -}}

{{/* (dict "workloads" W "side" "requests"|"limits" "key" K): the quota of K, each workload's amount times its pods. */}}
{{- define "hello-edge.total" -}}
{{- $sum := 0 -}}
{{- range .workloads -}}
{{- $sum = add $sum (mul (atoi (include "hello-edge.amount" (list $.key (index (index .resources $.side) $.key)))) .maxPods) -}}
{{- end -}}
{{- include "hello-edge.formatAmount" (list .key $sum) -}}
{{- end -}}

{{/* (dict "workloads" W "key" K): the largest limit of K, the LimitRange's max. */}}
{{- define "hello-edge.largest" -}}
{{- $max := 0 -}}
{{- range .workloads -}}
{{- $n := atoi (include "hello-edge.amount" (list $.key (index .resources.limits $.key))) -}}
{{- if gt $n $max }}{{ $max = $n }}{{ end -}}
{{- end -}}
{{- include "hello-edge.formatAmount" (list .key $max) -}}
{{- end -}}
`;

// alerts.ts rounds to 6 decimals; sprig's float functions compute in decimal, which agrees after
// that rounding for objectives of at most 3 decimals (the schema's multipleOf).
const SLO_NUMBERS = `{{/* A number rounded to 6 decimals, printed without exponent or trailing zeros (as JavaScript prints it). */}}
{{- define "hello-edge.decimal" -}}
{{- regexReplaceAll "\\\\.?0+$" (printf "%.6f" (round . 6)) "" -}}
{{- end -}}

{{/* An SLO objective in percent, as the rules print it ("99%"). */}}
{{- define "hello-edge.objective" -}}
{{- include "hello-edge.decimal" (float64 .) }}%
{{- end -}}

{{/* (list factor objective): the share of slow probes that burns the error budget factor times too fast. */}}
{{- define "hello-edge.burnThreshold" -}}
{{- $budget := round (subf 1 (divf (index . 1) 100)) 6 -}}
{{- include "hello-edge.decimal" (mulf (index . 0) $budget) -}}
{{- end -}}
`;

/** Rules values.schema.json cannot state; each failure names the value, what it is and what is allowed. */
function checks(): string {
  return `${CHECK_APP}
${checkBounds()}`;
}

const CHECK_APP = `{{/* (dict "path" "apps.shop." "values" <the app's values>): the app's rules across values, and those of the fleet config's code. */}}
{{- define "hello-edge.checkApp" -}}
{{- $v := .values -}}
{{- $at := .path -}}
{{- if and (not $v.image.digest) (or (not $v.image.tag) (eq (toString $v.image.tag) "latest")) -}}
{{- fail (printf "%simage.tag: %q is not allowed; pin the image with a tag other than \\"latest\\", or set %simage.digest" $at (toString $v.image.tag) $at) -}}
{{- end -}}
{{- if le (int $v.scaling.maxReplicas) (int $v.scaling.minReplicas) -}}
{{- fail (printf "%sscaling.maxReplicas: %v is not allowed; use a number larger than %sscaling.minReplicas (%v), so the autoscaler can scale" $at $v.scaling.maxReplicas $at $v.scaling.minReplicas) -}}
{{- end -}}
{{- range $i, $host := $v.ingress.hosts -}}
{{- if regexMatch "(^|/)\\\\.\\\\.?(/|$)|//|%2[eEfF]" (toString ($host.path | default "/")) -}}
{{- fail (printf "%singress.hosts[%d].path: %q is not allowed; use a path without %q or %q segments, %q or encoded %q and %q" $at $i (toString $host.path) "." ".." "//" "." "/") -}}
{{- end -}}
{{- end -}}
{{- range $side := list "requests" "limits" -}}
{{- range $key, $quantity := index $v.resources $side -}}
{{- include "hello-edge.checkAmount" (list (printf "%sresources.%s.%s" $at $side $key) $key $quantity) -}}
{{- end -}}
{{- end -}}
{{- range $key := list "cpu" "memory" "ephemeralStorage" -}}
{{- $limit := index $v.resources.limits $key -}}
{{- $request := index $v.resources.requests $key -}}
{{- if and $limit (gt (atoi (include "hello-edge.amount" (list $key $request))) (atoi (include "hello-edge.amount" (list $key $limit)))) -}}
{{- fail (printf "%sresources.requests.%s: %q is larger than %sresources.limits.%s (%q); a request must not exceed its limit" $at $key (toString $request) $at $key (toString $limit)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

`;

/** Bounds the fleet config checks in code: quantities, the exporter's port, system namespaces. */
function checkBounds(): string {
  return `{{/* (list path key quantity): an amount above 0 and at most the largest a container may have (infra/quantity.ts). */}}
{{- define "hello-edge.checkAmount" -}}
{{- $q := toString (index . 2) -}}
{{- $fine := false -}}
{{- if eq (index . 1) "cpu" -}}
{{- $parts := splitList "." (printf "%s." (trimSuffix "m" $q)) -}}
{{- if and (le (len (index $parts 0)) 6) (or (hasSuffix "m" $q) (le (len (index $parts 0)) 3)) -}}
{{- $millis := atoi (include "hello-edge.millicores" $q) -}}
{{- $fine = and (gt $millis 0) (le $millis ${MAX_CPU_MILLIS}) -}}
{{- end -}}
{{- else -}}
{{- $unit := regexFind "[A-Za-z]+$" $q -}}
{{- $number := trimSuffix $unit $q -}}
{{- $fine = and (le (len $number) 13) (gt (atoi $number) 0) (le (atoi $number) (div ${MAX_BYTES} (get ${BYTE_FACTORS} $unit))) -}}
{{- end -}}
{{- if not $fine -}}
{{- fail (printf "%s: %q is not allowed; use %s" (index . 0) $q (ternary ${JSON.stringify(CPU_ALLOWED)} ${JSON.stringify(BYTES_ALLOWED)} (eq (index . 1) "cpu"))) -}}
{{- end -}}
{{- end -}}

{{/* The shared exporter's port, as the fleet config checks it. */}}
{{- define "hello-edge.checkProberUrl" -}}
{{- with .Values.monitoring.prober.url -}}
{{- if gt (atoi (regexFind "[0-9]+$" .)) 65535 -}}
{{- fail (printf "monitoring.prober.url: %q is not allowed; use a port from 1 to 65535" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A chart of one app never creates or takes over a system namespace. */}}
{{- define "hello-edge.checkNamespace" -}}
{{- if and .Values.namespace.create (or (has .Release.Namespace ${goLiteral(SYSTEM_NAMESPACES)}) (hasPrefix "kube-" .Release.Namespace)) -}}
{{- fail (printf "namespace.create: true is not allowed in the release namespace %q, a system namespace (default, kube-*) the chart never takes over; install with --namespace <a namespace of its own>" .Release.Namespace) -}}
{{- end -}}
{{- end -}}
`;
}

/** What each value of the original hello-flask chart's `metrics.blackbox` became: the message helm fails with. */
export const REPLACED_BLACKBOX_VALUES: Readonly<Record<string, string>> = {
  enabled: 'use monitoring.enabled (on by default): the app is probed through the chart\'s own prober',
  useProbe: 'a Prometheus Operator Probe is always used when monitoring.enabled is true',
  proberUrl: 'use monitoring.prober.url, as "host:port" without a scheme (e.g. blackbox-exporter.monitoring.svc:9115)',
  createExporter: 'the chart runs its own prober unless monitoring.prober.url names an existing exporter',
  targetUrl: 'the probe targets are https://<host><path> of ingress.hosts',
};

/** The check that refuses the original chart's `metrics.*` values, each with what replaced it. */
export function checkReplacedValues(): string {
  return `{{/* The original hello-flask chart's metrics.blackbox.* values: each fails naming what replaced it. */}}
{{- define "hello-edge.checkReplaced" -}}
{{- if hasKey .Values "metrics" -}}
{{- $blackbox := get (.Values.metrics | default dict) "blackbox" | default dict -}}
{{- range $key, $hint := ${goLiteral(REPLACED_BLACKBOX_VALUES)} -}}
{{- if hasKey $blackbox $key -}}
{{- fail (printf "metrics.blackbox.%s: %s is not allowed; this chart has no metrics.* values: %s" $key (toJson (get $blackbox $key)) $hint) -}}
{{- end -}}
{{- end -}}
{{- fail (printf "metrics: %s is not allowed; this chart has no metrics.* values: monitoring.* replaces them" (toJson .Values.metrics)) -}}
{{- end -}}
{{- end -}}
`;
}
