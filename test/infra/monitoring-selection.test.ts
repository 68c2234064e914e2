import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSelectionWarnings, parseFleetConfig, selectionWarnings, selectorMatches, synthesizeFleet, type LabelSelector, type PrometheusObject } from '../../infra/index.js';
import { minimalInput } from './support.js';

const labels = { release: 'kube-prometheus-stack', team: 'web' };
const matching: { selector: LabelSelector | null | undefined; matches: boolean }[] = [
  { selector: undefined, matches: false },
  { selector: null, matches: false },
  { selector: {}, matches: true },
  { selector: { matchLabels: { release: 'kube-prometheus-stack' } }, matches: true },
  { selector: { matchLabels: { release: 'other' } }, matches: false },
  { selector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['web', 'api'] }] }, matches: true },
  { selector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['web'] }] }, matches: false },
  { selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, matches: true },
  { selector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, matches: true },
  { selector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, matches: false },
  { selector: { matchLabels: { release: 'kube-prometheus-stack' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, matches: false },
];

test('label selectors match as Kubernetes does: unset selects nothing, {} everything', () => {
  for (const { selector, matches } of matching) assert.equal(selectorMatches(selector, labels), matches, JSON.stringify(selector));
});

/** A Prometheus object as kube-prometheus-stack renders it, with `overrides` in its spec. */
function kubePrometheusStack(overrides: Record<string, unknown> = {}, namespace = 'monitoring'): PrometheusObject {
  const release = { matchLabels: { release: 'kube-prometheus-stack' } };
  return {
    metadata: { name: 'kube-prometheus-stack-prometheus', namespace },
    spec: {
      serviceMonitorSelector: release, serviceMonitorNamespaceSelector: {},
      probeSelector: release, probeNamespaceSelector: {},
      ruleSelector: release, ruleNamespaceSelector: {},
      ...overrides,
    },
  };
}

const fleet = (monitoring: Record<string, unknown> = {}) => synthesizeFleet(parseFleetConfig(minimalInput({ monitoring })));
const kinds = (warnings: readonly string[]) => warnings.map((w) => /selects \d+ (\w+)\(s\)/.exec(w)?.[1]);

const cases: { name: string; monitoring?: Record<string, unknown>; prometheuses: PrometheusObject[]; warns: string[] }[] = [
  { name: 'the default labels and kube-prometheus-stack defaults', prometheuses: [kubePrometheusStack()], warns: [] },
  { name: 'no Prometheus object: nothing can be known', monitoring: { labels: {} }, prometheuses: [], warns: [] },
  { name: 'no release label', monitoring: { labels: {} }, prometheuses: [kubePrometheusStack()], warns: ['ServiceMonitor', 'Probe', 'PrometheusRule'] },
  { name: 'another release', monitoring: { labels: { release: 'prom' } }, prometheuses: [kubePrometheusStack()], warns: ['ServiceMonitor', 'Probe', 'PrometheusRule'] },
  { name: 'another release, but a second Prometheus selects it', monitoring: { labels: { release: 'prom' } }, prometheuses: [kubePrometheusStack(), kubePrometheusStack({ serviceMonitorSelector: { matchLabels: { release: 'prom' } }, probeSelector: {}, ruleSelector: {} }, 'other')], warns: [] },
  { name: 'probeSelector unset selects no Probe', prometheuses: [kubePrometheusStack({ probeSelector: undefined })], warns: ['Probe'] },
  { name: 'namespace selectors unset: only the Prometheus namespace', prometheuses: [kubePrometheusStack({ serviceMonitorNamespaceSelector: undefined, probeNamespaceSelector: undefined, ruleNamespaceSelector: undefined })], warns: ['ServiceMonitor', 'Probe', 'PrometheusRule'] },
  { name: 'namespace selectors on the namespace name label', prometheuses: [kubePrometheusStack({ probeNamespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['hello-web'] }] } })], warns: [] },
  { name: 'namespace selector on a label our namespaces lack', prometheuses: [kubePrometheusStack({ ruleNamespaceSelector: { matchLabels: { monitoring: 'enabled' } } })], warns: ['PrometheusRule'] },
];

for (const c of cases) {
  test(`selection warnings: ${c.name}`, () => {
    assert.deepEqual(kinds(selectionWarnings(fleet(c.monitoring), c.prometheuses)), c.warns);
  });
}

test('a selection warning names an object, its labels and what each Prometheus selects, and the fix', () => {
  const [warning] = selectionWarnings(fleet({ labels: { release: 'prom' } }), [kubePrometheusStack()]);
  assert.equal(warning, 'no Prometheus selects 1 ServiceMonitor(s) of fleet test, e.g. hello-edge-system/hello-prober (monitoring labels: release=prom): '
    + 'monitoring/kube-prometheus-stack-prometheus selects release=kube-prometheus-stack (serviceMonitorSelector) in namespaces matching everything. '
    + 'Set monitoring.labels to what your Prometheus selects.');
});

test('synth warns about monitoring labels without "release" (kube-prometheus-stack selects on it), and only then', () => {
  assert.deepEqual(configSelectionWarnings(parseFleetConfig(minimalInput())), []);
  assert.deepEqual(configSelectionWarnings(parseFleetConfig(minimalInput({ monitoring: { enabled: false, labels: {} } }))), []);
  const [warning] = configSelectionWarnings(parseFleetConfig(minimalInput({ monitoring: { labels: { team: 'web' } } })));
  assert.match(warning ?? '', /^monitoring.labels \{"team":"web"\} has no "release" label: kube-prometheus-stack's Prometheus selects/);
});
