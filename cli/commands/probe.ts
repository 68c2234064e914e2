import type { Command } from 'commander';
import { createLogger, duration, ProbeFailedError, silentLogger } from '../../common/index.js';
import { defaultProberConfig, loadProberConfig, probeDeadlineSeconds, runModuleProbe, selectModule, summarizeProbe, type ProbeSummary } from '../../prober/index.js';
import { formatTable, printJson, printText } from '../output.js';

interface ProbeOptions {
  module: string;
  config?: string;
  timeout: string;
  json?: boolean;
  verbose?: boolean;
}

/**
 * `hello-cli probe URL`: one probe from the command line with a module from `--config` (or the
 * built-in `http_2xx`, `http_post_2xx`, `tcp_connect`); prints the phases and checks (or, with
 * `--json`, one JSON document), exits 0 on success and 1 on failure.
 */
export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('probe a URL (or host:port with a tcp module) once, as the prober would')
    .argument('<target>', 'URL for http modules, host:port for tcp modules')
    .option('-m, --module <module>', 'module name', 'http_2xx')
    .option('-c, --config <file>', 'prober config file (default: built-in http_2xx, http_post_2xx, tcp_connect)')
    .option('-t, --timeout <duration>', 'deadline when the module sets none', '10s')
    .option('-v, --verbose', 'print the probe log too')
    .option('--json', 'print the result as JSON')
    .action(async (target: string, opts: ProbeOptions) => {
      const config = opts.config ? loadProberConfig(opts.config) : defaultProberConfig();
      const timeoutMs = duration().parse(opts.timeout, '--timeout');
      const { module } = selectModule(config, { target, module: opts.module });
      const seconds = probeDeadlineSeconds(module, timeoutMs / 1000);
      const logger = opts.verbose && !opts.json ? createLogger({ level: 'debug' }) : silentLogger;
      const summary = await summarizeProbe(await runModuleProbe(module, target, seconds, logger));
      if (opts.json) printJson(summary);
      else printText(renderSummary(summary, Boolean(opts.verbose)));
      // The result is printed (with why it failed): the answer "no" is the exit status, as diff's.
      if (!summary.success) process.exitCode = new ProbeFailedError(target).exitCode;
    });
}

const ms = (s: number): string => `${(s * 1000).toFixed(1)} ms`;

function renderSummary(s: ProbeSummary, verbose: boolean): string {
  const value = (name: string): number | undefined => s.samples.find((x) => x.name === name)?.value;
  const out: string[] = [`${s.success ? 'OK  ' : 'FAIL'}  ${s.target}  module=${s.module} (${s.prober})  ${ms(s.durationSeconds)}`, ''];
  const phases = Object.entries(s.phases);
  if (phases.length > 0) {
    const order = ['resolve', 'connect', 'tls', 'processing', 'transfer'];
    phases.sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0]));
    out.push(formatTable(['phase', 'time'], phases.map(([p, v]) => [p, ms(v)])), '');
  }
  const checks: string[][] = [];
  const add = (label: string, name: string, fmt: (v: number) => string = String): void => {
    const v = value(name);
    if (v !== undefined) checks.push([label, fmt(v)]);
  };
  add('status code', 'probe_http_status_code');
  add('http version', 'probe_http_version');
  add('redirects', 'probe_http_redirects');
  add('ssl', 'probe_http_ssl', (v) => (v === 1 ? 'yes' : 'no'));
  add('content length', 'probe_http_content_length', (v) => (v < 0 ? 'unknown' : `${v} B`));
  add('body length', 'probe_http_uncompressed_body_length', (v) => `${v} B`);
  add('failed due to regex', 'probe_failed_due_to_regex', (v) => (v === 1 ? 'yes' : 'no'));
  add('ip protocol', 'probe_ip_protocol', (v) => `IPv${v}`);
  const tls = s.samples.find((x) => x.name === 'probe_tls_version_info');
  if (tls) checks.push(['tls version', tls.labels.version ?? '']);
  add('cert expires', 'probe_ssl_earliest_cert_expiry', (v) => `${new Date(v * 1000).toISOString()} (${Math.floor((v * 1000 - Date.now()) / 86_400_000)} days)`);
  if (checks.length > 0) out.push(formatTable(['check', 'value'], checks), '');
  if (!s.success && s.errors.length > 0) out.push('why it failed:', ...s.errors.map((l) => `  ${l}`), '');
  if (verbose) out.push('log:', ...s.logs.map((l) => `  ${l}`));
  return out.join('\n').trimEnd();
}
