// `npm run build && taskset -c 1 node_modules/.bin/node dist/bench/scripts/fresh-server.js
//   [--rate 2723] [--windows 6] [--warmup settle|5000]`: what a fresh hello process does under the
// bench's quota (250m, 10 ms period, pinned to CPU 0) in its first seconds of an open-model load.
// It starts hello as the bench does, warms it up either as the bench now does (`settle`: slices of
// 5,000 requests until V8's background threads are quiet) or with a fixed number of requests (5000
// was the bench's warm-up until set 13), then runs 2 s windows at the rate and prints, per window,
// the p99 and longest answer, the server's CPU, what its threads other than the main one used
// (V8's compiler and GC helpers), the quota's throttled periods and the longest GC pause.
// docs/BENCHMARKS.md (set 13) quotes its output. A measurement, not a test: it asserts nothing.
import { parseArgs } from 'node:util';
import { silentLogger } from '../../common/index.js';
import { percentileUs } from '../histogram.js';
import { backgroundCpuSecondsBetween, backgroundThreadsCpu, processCpuSeconds } from '../host.js';
import { runOpenModel } from '../open-model.js';
import { sendClosedLoop, startHelloTarget } from '../target.js';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '2723' }, windows: { type: 'string', default: '6' }, warmup: { type: 'string', default: 'settle' } } });
const rate = Number(values.rate);
const windows = Number(values.windows);

const target = await startHelloTarget({ cpus: '0', quotaMillicores: 250, quotaPeriodUs: 10_000, logger: silentLogger });
try {
  const started = Date.now();
  if (values.warmup === 'settle') console.log(`warm-up: ${JSON.stringify(await target.fresh())}`);
  else {
    // The process startHelloTarget started has answered nothing yet: warm it up by hand.
    await sendClosedLoop(target.url, Number(values.warmup));
    console.log(`warm-up: ${values.warmup} requests`);
  }
  console.log(`warmed up after ${((Date.now() - started) / 1000).toFixed(1)} s; ${rate} req/s in 2 s windows:`);
  const pid = target.pid!;
  for (let window = 1; window <= windows; window++) {
    const [cpu, background, throttled] = [processCpuSeconds(pid)!, backgroundThreadsCpu(pid)!, target.quota?.throttledPeriods() ?? 0];
    target.markGc();
    const run = await runOpenModel({ url: target.url, rateRps: rate, warmupSeconds: 0, durationSeconds: 2, seed: window });
    const gc = await target.readGc();
    const used = (processCpuSeconds(pid)! - cpu) / run.wallSeconds;
    const backgroundMs = Math.round(backgroundCpuSecondsBetween(background, backgroundThreadsCpu(pid)!) * 1000);
    console.log(
      `window ${window}: p99 ${(percentileUs(run.response, 99) / 1000).toFixed(1)} ms, max ${(percentileUs(run.response, 100) / 1000).toFixed(1)} ms, ` +
        `server ${used.toFixed(3)} cores, background threads ${backgroundMs} ms, throttled periods ${(target.quota?.throttledPeriods() ?? 0) - throttled}, GC max ${gc?.maxMs.toFixed(1)} ms`,
    );
  }
} finally {
  await target.close();
}
