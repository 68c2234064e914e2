import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { type AlertGroup, appAlertGroup, parseFleetConfig, proberAlertGroup } from '../../infra/index.js';
import { requireTool } from '../support/tools.js';
import { exampleConfig, minimalInput, tempDir } from './support.js';

const run = promisify(execFile);
const config = parseFleetConfig(minimalInput({ monitoring: { alerts: { targetDownFor: '5m', certExpiryDays: 14 } } }));
const app = config.apps[0]!;
const group = appAlertGroup(app, config.monitoring);
const prober = proberAlertGroup(config.monitoring);
const rule = (name: string) => [...group.rules, ...prober.rules].find((r) => r.alert === name)!;

/** The alert as promtool reports it: labels of the expression result plus the rule's, and its annotations. */
function firing(name: string): { exp_labels: Record<string, string>; exp_annotations: Record<string, string> } {
  return { exp_labels: { ...rule(name).labels }, exp_annotations: { ...rule(name).annotations } };
}

const web = 'app="web"';
// 200 probes per minute (counters); `slow` of them are slower than 300 ms, after `healthy` minutes
// in which none is.
const histogram = (slowPerMinute: number, minutes: number, healthy = 0) => [
  { series: `probe_duration_seconds_count{${web}}`, values: `0+200x${healthy + minutes}` },
  {
    series: `probe_duration_seconds_bucket{${web},le="0.3"}`,
    values: healthy === 0 ? `0+${200 - slowPerMinute}x${minutes}` : `0+200x${healthy} ${200 * healthy + 200 - slowPerMinute}+${200 - slowPerMinute}x${minutes - 1}`,
  },
];

const tests = [
  {
    name: 'target down: fires after 5m of failures, silent while up and for a shorter outage',
    interval: '1m',
    input_series: [
      { series: `probe_success{${web},instance="https://web.example.com/",job="hello-edge-probe"}`, values: '1x10 0x3 1x5 0x15' },
    ],
    alert_rule_test: [
      { eval_time: '9m', alertname: 'HelloTargetDown', exp_alerts: [] },
      { eval_time: '13m', alertname: 'HelloTargetDown', exp_alerts: [] },
      { eval_time: '18m', alertname: 'HelloTargetDown', exp_alerts: [] },
      // Down from 21m on: pending for 5 minutes, firing from 26m.
      { eval_time: '25m', alertname: 'HelloTargetDown', exp_alerts: [] },
      { eval_time: '27m', alertname: 'HelloTargetDown', exp_alerts: [firing('HelloTargetDown')] },
    ],
  },
  {
    name: 'target down: one prober still succeeding keeps it silent (max over sources)',
    interval: '1m',
    input_series: [
      { series: `probe_success{${web},job="hello-edge-probe"}`, values: '0x20' },
      { series: `probe_success{${web},job="hello-prober",target="web"}`, values: '1x20' },
    ],
    alert_rule_test: [{ eval_time: '15m', alertname: 'HelloTargetDown', exp_alerts: [] }],
  },
  {
    name: 'probe missing: fires when no probe_success series exists for the app, silent when one does',
    interval: '1m',
    input_series: [{ series: 'probe_success{app="other"}', values: '1x20' }],
    alert_rule_test: [
      { eval_time: '5m', alertname: 'HelloProbeMissing', exp_alerts: [] },
      { eval_time: '15m', alertname: 'HelloProbeMissing', exp_alerts: [{ exp_labels: { ...rule('HelloProbeMissing').labels }, exp_annotations: { ...rule('HelloProbeMissing').annotations } }] },
    ],
  },
  {
    name: 'probe missing: silent with series present',
    interval: '1m',
    input_series: [{ series: `probe_success{${web}}`, values: '1x20' }],
    alert_rule_test: [{ eval_time: '15m', alertname: 'HelloProbeMissing', exp_alerts: [] }],
  },
  {
    name: 'latency burn: 50 % slow probes after 400 healthy minutes page once the 1h window agrees',
    interval: '1m',
    input_series: histogram(100, 40, 400),
    alert_rule_test: [
      { eval_time: '400m', alertname: 'HelloLatencyBudgetBurnFast', exp_alerts: [] },
      // The 5m window burns at once, but the 1h window passes 14.4x the budget only ~18 minutes in.
      { eval_time: '410m', alertname: 'HelloLatencyBudgetBurnFast', exp_alerts: [] },
      { eval_time: '425m', alertname: 'HelloLatencyBudgetBurnFast', exp_alerts: [firing('HelloLatencyBudgetBurnFast')] },
    ],
  },
  {
    name: 'latency burn: 5 % slow (burn rate 5) is a ticket, not a page',
    interval: '1m',
    input_series: histogram(10, 60),
    alert_rule_test: [
      { eval_time: '30m', alertname: 'HelloLatencyBudgetBurnFast', exp_alerts: [] },
      { eval_time: '10m', alertname: 'HelloLatencyBudgetBurnSlow', exp_alerts: [] },
      { eval_time: '30m', alertname: 'HelloLatencyBudgetBurnSlow', exp_alerts: [firing('HelloLatencyBudgetBurnSlow')] },
    ],
  },
  {
    name: 'latency burn: 0.5 % slow is within a 99 % SLO, both stay silent',
    interval: '1m',
    input_series: histogram(1, 60),
    alert_rule_test: [
      { eval_time: '60m', alertname: 'HelloLatencyBudgetBurnFast', exp_alerts: [] },
      { eval_time: '60m', alertname: 'HelloLatencyBudgetBurnSlow', exp_alerts: [] },
    ],
  },
  {
    name: 'certificate: fires when it expires within 14 days, silent with 30 days left',
    interval: '1m',
    input_series: [
      { series: `probe_ssl_earliest_cert_expiry{${web},instance="a"}`, values: `${10 * 86400}x30` },
      { series: 'probe_ssl_earliest_cert_expiry{app="other",instance="b"}', values: `${30 * 86400}x30` },
    ],
    alert_rule_test: [
      { eval_time: '5m', alertname: 'HelloCertificateExpiringSoon', exp_alerts: [] },
      { eval_time: '15m', alertname: 'HelloCertificateExpiringSoon', exp_alerts: [firing('HelloCertificateExpiringSoon')] },
    ],
  },
  {
    name: 'prober down: fires when no prober instance is up, silent while one is',
    interval: '1m',
    input_series: [
      { series: 'up{job="hello-prober",namespace="hello-edge-system",pod="p1"}', values: '1x10 0x20' },
      { series: 'up{job="hello-prober",namespace="hello-edge-system",pod="p2"}', values: '1x15 0x15' },
    ],
    alert_rule_test: [
      { eval_time: '14m', alertname: 'HelloProberDown', exp_alerts: [] },
      { eval_time: '19m', alertname: 'HelloProberDown', exp_alerts: [] },
      { eval_time: '22m', alertname: 'HelloProberDown', exp_alerts: [firing('HelloProberDown')] },
    ],
  },
  {
    name: 'prober config reload failed: fires after 5m, silent after a good reload',
    interval: '1m',
    input_series: [
      { series: 'blackbox_exporter_config_last_reload_successful{job="hello-prober",namespace="hello-edge-system",pod="p1"}', values: '1x5 0x10 1x10' },
    ],
    alert_rule_test: [
      { eval_time: '5m', alertname: 'HelloProberConfigReloadFailed', exp_alerts: [] },
      { eval_time: '12m', alertname: 'HelloProberConfigReloadFailed', exp_alerts: [{ exp_labels: { ...rule('HelloProberConfigReloadFailed').labels, pod: 'p1' }, exp_annotations: { ...rule('HelloProberConfigReloadFailed').annotations } }] },
      { eval_time: '20m', alertname: 'HelloProberConfigReloadFailed', exp_alerts: [] },
    ],
  },
];

function writeRules(dir: string, groups: readonly AlertGroup[]): string {
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, stringify({ groups }, { lineWidth: 0 }));
  return file;
}

test('promtool test rules: a whole-second threshold matches both le="1" and Prometheus 3\'s le="1.0"', async (t) => {
  const promtool = requireTool(t, 'promtool', 'apt-get install prometheus');
  if (!promtool) return;
  const slowApp = parseFleetConfig(minimalInput({}, { slo: { latency: { threshold: '1s', objective: 99 } } }));
  const g = appAlertGroup(slowApp.apps[0]!, slowApp.monitoring);
  const fast = g.rules.find((r) => r.alert === 'HelloLatencyBudgetBurnFast')!;
  const dir = tempDir(t);
  writeRules(dir, [g]);
  const cases = ['1', '1.0'].map((le) => ({
    name: `le="${le}"`,
    interval: '1m',
    input_series: [
      { series: `probe_duration_seconds_count{${web}}`, values: '0+200x30' },
      { series: `probe_duration_seconds_bucket{${web},le="${le}"}`, values: '0+100x30' },
    ],
    alert_rule_test: [{ eval_time: '20m', alertname: 'HelloLatencyBudgetBurnFast', exp_alerts: [{ exp_labels: { ...fast.labels }, exp_annotations: { ...fast.annotations } }] }],
  }));
  const testFile = join(dir, 'tests.yaml');
  writeFileSync(testFile, stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: cases }, { lineWidth: 0 }));
  const result = await run(promtool, ['test', 'rules', testFile]).catch((error: { stdout?: string; stderr?: string }) => error);
  assert.match(result.stdout ?? '', /SUCCESS/, `${result.stdout ?? ''}${result.stderr ?? ''}`);
});

test('promtool check rules: the rules of every app of the 20-app fleet', async (t) => {
  const promtool = requireTool(t, 'promtool', 'apt-get install prometheus');
  if (!promtool) return;
  const fleet = exampleConfig('fleet-20');
  const file = writeRules(tempDir(t), [...fleet.apps.map((a) => appAlertGroup(a, fleet.monitoring)), proberAlertGroup(fleet.monitoring)]);
  const { stdout } = await run(promtool, ['check', 'rules', file]);
  assert.match(stdout, new RegExp(`SUCCESS: ${fleet.apps.length * group.rules.length + prober.rules.length} rules found`));
});

test('promtool test rules: every alert fires when it should and stays silent when it should not', async (t) => {
  const promtool = requireTool(t, 'promtool', 'apt-get install prometheus');
  if (!promtool) return;
  const dir = tempDir(t);
  writeRules(dir, [group, prober]);
  const testFile = join(dir, 'tests.yaml');
  writeFileSync(testFile, stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }, { lineWidth: 0 }));
  const covered = new Set(tests.flatMap((c) => c.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  assert.deepEqual([...covered].sort(), [...group.rules, ...prober.rules].map((r) => r.alert).sort(), 'every alert has a firing case');
  const result = await run(promtool, ['test', 'rules', testFile]).catch((error: { stdout?: string; stderr?: string }) => error);
  assert.ok(!('code' in result) || result.code === undefined, `promtool test rules failed:\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  assert.match(result.stdout ?? '', /SUCCESS/);
});

// The drill in test/monitoring runs the same rules in seconds: a 12h SLO period scales the
// workbook's windows by 1/60 (1h/5m -> 1m/5s, 6h/30m -> 6m/30s, 1d/2h -> 24m/2m, 3d/6h -> 1h12m/6m)
// and the burn alerts' `for` (2m -> 2s, 15m -> 15s); the burn factors stay.
const scaled = parseFleetConfig(minimalInput({ monitoring: { interval: '1s', scrapeTimeout: '1s', alerts: { sloPeriod: '12h' } } }));
const scaledGroup = appAlertGroup(scaled.apps[0]!, scaled.monitoring);
const scaledRule = (name: string) => scaledGroup.rules.find((r) => r.alert === name)!;

test('a shorter SLO period scales every burn-rate window and `for`, and keeps the factors', () => {
  const windows = (expr: string) => [...expr.matchAll(/\[([0-9a-z]+)\]/g)].map((m) => m[1]);
  assert.deepEqual(windows(scaledRule('HelloLatencyBudgetBurnFast').expr), ['1m', '1m', '5s', '5s', '6m', '6m', '30s', '30s']);
  assert.deepEqual(windows(scaledRule('HelloLatencyBudgetBurnSlow').expr), ['24m', '24m', '2m', '2m', '1h12m', '1h12m', '6m', '6m']);
  assert.deepEqual(windows(rule('HelloLatencyBudgetBurnFast').expr), ['1h', '1h', '5m', '5m', '6h', '6h', '30m', '30m']);
  assert.deepEqual([scaledRule('HelloLatencyBudgetBurnFast').for, scaledRule('HelloLatencyBudgetBurnSlow').for], ['2s', '15s']);
  const factors = (expr: string) => [...expr.matchAll(/> ([0-9.]+)/g)].map((m) => m[1]);
  assert.deepEqual(factors(scaledRule('HelloLatencyBudgetBurnFast').expr), factors(rule('HelloLatencyBudgetBurnFast').expr));
  assert.match(scaledRule('HelloLatencyBudgetBurnFast').annotations.description!, /the 12h budget is gone within ~50m\./);
});

test('promtool test rules: the 12h-period burn alert pages in seconds, as the 30-day one does in minutes', async (t) => {
  const promtool = requireTool(t, 'promtool', 'apt-get install prometheus');
  if (!promtool) return;
  const dir = tempDir(t);
  writeRules(dir, [scaledGroup]);
  // One probe a second; every probe from 100s on is slower than 300 ms. The 5s window burns at
  // once; the 1m window passes 14.4 x the 1 % budget after ~9 s; then `for: 2s`.
  const cases = [{
    name: 'all probes slow from 100s',
    interval: '1s',
    input_series: [
      { series: `probe_duration_seconds_count{${web}}`, values: '0+1x200' },
      { series: `probe_duration_seconds_bucket{${web},le="0.3"}`, values: '0+1x100 100+0x100' },
    ],
    alert_rule_test: [
      { eval_time: '100s', alertname: 'HelloLatencyBudgetBurnFast', exp_alerts: [] },
      { eval_time: '106s', alertname: 'HelloLatencyBudgetBurnFast', exp_alerts: [] },
      { eval_time: '115s', alertname: 'HelloLatencyBudgetBurnFast', exp_alerts: [{ exp_labels: { ...scaledRule('HelloLatencyBudgetBurnFast').labels }, exp_annotations: { ...scaledRule('HelloLatencyBudgetBurnFast').annotations } }] },
    ],
  }];
  const testFile = join(dir, 'tests.yaml');
  writeFileSync(testFile, stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1s', tests: cases }, { lineWidth: 0 }));
  const result = await run(promtool, ['test', 'rules', testFile]).catch((error: { stdout?: string; stderr?: string }) => error);
  assert.match(result.stdout ?? '', /SUCCESS/, `${result.stdout ?? ''}${result.stderr ?? ''}`);
});

test('latency burn-rate rules only where the latency histogram exists (local prober scraped by its ServiceMonitor)', () => {
  const names = (input: Parameters<typeof minimalInput>[0]) => {
    const c = parseFleetConfig(minimalInput(input));
    return appAlertGroup(c.apps[0]!, c.monitoring).rules.map((r) => r.alert);
  };
  assert.ok(names({}).includes('HelloLatencyBudgetBurnFast'));
  const withoutHistogram = ['HelloTargetDown', 'HelloProbeMissing', 'HelloCertificateExpiringSoon'];
  assert.deepEqual(names({ monitoring: { prober: { mode: 'shared', url: 'blackbox-exporter.monitoring:9115' } } }), withoutHistogram);
  assert.deepEqual(names({ monitoring: { serviceMonitor: false } }), withoutHistogram);
});
