/**
 * Durations past what a Node.js timer holds (2^31-1 ms, about 596 h) overflow and fire after
 * 1 ms: a 600h interval would probe back to back, a huge scrape timeout would abort the probe at
 * once. Config and flags refuse them naming the field; the scrape-timeout header is clamped.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ConfigError, MAX_TIMER_MS, silentLogger } from '../../common/index.js';
import { buildConfig, probeTimeoutSeconds, startProberServer } from '../../prober/index.js';
import { get, parseExposition, startHttpTarget, valueOf } from './support.js';

const MAIN = fileURLToPath(new URL('../../prober/main.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** Runs a command without blocking the event loop (the test's target must keep answering). */
function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('config: an interval or a timeout past what a timer holds is refused, naming the field', () => {
  assert.throws(
    () => buildConfig({ modules: { http_2xx: { prober: 'http' } }, targets: [{ target: 'http://127.0.0.1:8080/', interval: '600h' }] }),
    (e: unknown) => e instanceof ConfigError && e.message === 'targets[0].interval: "600h" is too long; use at most 596h',
  );
  assert.throws(() => buildConfig({ modules: { slow: { prober: 'http', timeout: '600h' } } }), { message: 'modules.slow.timeout: "600h" is too long; use at most 596h' });
  assert.equal(buildConfig({ modules: { http_2xx: { prober: 'http' } }, targets: [{ target: 'http://127.0.0.1:8080/', interval: '596h' }] }).targets[0]?.intervalMs, 596 * 3_600_000);
});

test('/probe: a huge X-Prometheus-Scrape-Timeout-Seconds is clamped, not an instant abort', async (t) => {
  const config = buildConfig({ modules: { http_2xx: { prober: 'http' } } });
  assert.equal(probeTimeoutSeconds(config.modules.http_2xx!, '3000000'), MAX_TIMER_MS / 1000);
  const prober = await startProberServer({ config, listenAddress: '127.0.0.1:0', logger: silentLogger });
  t.after(() => prober.close());
  const target = await startHttpTarget(t);
  const res = await get(`${prober.url}/probe?target=${target}/`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '3000000' } });
  assert.equal(valueOf(parseExposition(res.text), 'probe_success'), 1, res.text);
});

test('flags: hello-cli probe --timeout and --config.auto-reload-interval past 596h exit 2 naming the flag', async (t) => {
  const target = await startHttpTarget(t);
  const probe = await run([CLI, 'probe', '--timeout', '600h', `${target}/`]);
  assert.equal(probe.status, 2, probe.stdout + probe.stderr);
  assert.match(probe.stderr, /--timeout: "600h" is too long; use at most 596h/);
  const file = join(mkdtempSync(join(tmpdir(), 'prober-durations-')), 'prober.yml');
  writeFileSync(file, 'modules:\n  http_2xx:\n    prober: http\n');
  for (const args of [[MAIN], [CLI, 'prober']]) {
    const reload = await run([...args, '--config.check', '--config.file', file, '--config.enable-auto-reload', '--config.auto-reload-interval', '600h']);
    assert.equal(reload.status, 2, reload.stderr);
    assert.match(reload.stderr, /--config\.auto-reload-interval: \\?"600h\\?" is too long; use at most 596h/);
  }
});
