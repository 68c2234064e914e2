// `npm run build && taskset -c 1 node_modules/.bin/node [V8 flags] dist/bench/scripts/fresh-server.js
//   [--rate 2723] [--windows 6] [--window-seconds 2] [--warmup settle|5000] [--quota 250|none]
//   [--generator thread|main] [--young-generation 6|default]`: what a fresh hello process and the open-model driver do, window by
// window, at one rate. It starts hello as the bench does (pinned to CPU 0, under a 250m quota with
// a 10 ms period unless `--quota none`), warms it up either as the bench does (`settle`: slices of
// 5,000 requests until V8's background threads are quiet) or with a fixed number of requests (5000
// was the bench's warm-up until set 13), then runs windows at the rate and prints, per window:
// - the driver's side: p99 from the intended send time (what the SLO is judged on), from dispatch
//   and from the socket write, the send lag p99, the driver's longest GC pause, the requests that
//   waited for a pool connection;
// - the server's side: its CPU, what its threads other than the main one used (V8's compiler and
//   GC helpers), the quota's throttled periods and its longest GC pause.
// The driver runs on its own worker thread as the bench runs it (`--generator thread`, from set
// 14), or on this script's main thread (`main`: how the bench ran it before). V8 flags such as
// --max-semi-space-size apply to every heap of the process, the worker's too (they override its
// limit): use them with `--generator main`. `--young-generation` sets the thread's limit (MiB, or
// V8's default); the last line gives the largest new space the thread had. docs/BENCHMARKS.md (sets 13 and 14) quotes its output.
// A measurement, not a test: it asserts nothing.
import { parseArgs } from 'node:util';
import { silentLogger } from '../../common/index.js';
import { percentileUs } from '../histogram.js';
import { backgroundCpuSecondsBetween, backgroundThreadsCpu, processCpuSeconds } from '../host.js';
import { runOpenModel, type OpenModelOptions, type OpenModelRun } from '../open-model.js';
import { GENERATOR_YOUNG_GENERATION_MIB, GeneratorThread } from '../open-model-worker.js';
import { sendClosedLoop, startHelloTarget } from '../target.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2723' },
    windows: { type: 'string', default: '6' },
    'window-seconds': { type: 'string', default: '2' },
    warmup: { type: 'string', default: 'settle' },
    quota: { type: 'string', default: '250' },
    generator: { type: 'string', default: 'thread' },
    'young-generation': { type: 'string', default: String(GENERATOR_YOUNG_GENERATION_MIB) },
  },
});
const rate = Number(values.rate);
const windows = Number(values.windows);
const seconds = Number(values['window-seconds']);
const quota = values.quota === 'none' ? null : Number(values.quota);
const youngGeneration = values['young-generation'] === 'default' ? null : Number(values['young-generation']);
if (!(youngGeneration === null || youngGeneration >= 1) || !(rate > 0) || !(windows >= 1) || !(seconds > 0) || (quota !== null && !(quota >= 10)) || !['thread', 'main'].includes(values.generator)) {
  console.error('usage: --rate <req/s> --windows <n> --window-seconds <s> --quota <millicores, at least 10>|none --generator thread|main --young-generation <MiB>|default --warmup settle|<requests>');
  process.exit(2);
}
const ms = (us: number): string => (us / 1000).toFixed(1);

const target = await startHelloTarget({ cpus: '0', quotaMillicores: quota, quotaPeriodUs: 10_000, logger: silentLogger });
for (const note of target.notes) console.log(`note: ${note}`);
let thread: GeneratorThread | null = null;
try {
  thread = values.generator === 'thread' ? new GeneratorThread(youngGeneration) : null;
  const drive = (o: OpenModelOptions): Promise<OpenModelRun> => (thread ? thread.run(o) : runOpenModel(o));
  const started = Date.now();
  if (values.warmup === 'settle') console.log(`warm-up: ${JSON.stringify(await target.fresh())}`);
  else {
    // The process startHelloTarget started has answered nothing yet: warm it up by hand.
    await sendClosedLoop(target.url, Number(values.warmup));
    console.log(`warm-up: ${values.warmup} requests`);
  }
  console.log(`warmed up after ${((Date.now() - started) / 1000).toFixed(1)} s; ${rate} req/s in ${seconds} s windows, driver on the ${thread ? 'worker thread' : 'main thread'}, quota ${target.quota ? `${target.quota.millicores}m` : 'none'}:`);
  const pid = target.pid!;
  for (let window = 1; window <= windows; window++) {
    const [cpu, background, throttled] = [processCpuSeconds(pid)!, backgroundThreadsCpu(pid)!, target.quota?.throttledPeriods() ?? 0];
    target.markGc();
    const run = await drive({ url: target.url, rateRps: rate, warmupSeconds: 0, durationSeconds: seconds, seed: window });
    const gc = await target.readGc();
    const used = (processCpuSeconds(pid)! - cpu) / run.wallSeconds;
    const backgroundMs = Math.round(backgroundCpuSecondsBetween(background, backgroundThreadsCpu(pid)!) * 1000);
    console.log(
      `window ${window}: p99 ${ms(percentileUs(run.response, 99))} ms (from dispatch ${ms(percentileUs(run.fromDispatch, 99))}, from write ${ms(percentileUs(run.service, 99))}), max ${ms(percentileUs(run.response, 100))} ms; ` +
        `driver: send lag p99 ${ms(percentileUs(run.sendLag, 99))} ms, GC max ${run.gcMaxPauseMs.toFixed(1)} ms, ${run.queuedInPool} waited for a connection; ` +
        `server: ${used.toFixed(3)} cores, background threads ${backgroundMs} ms, throttled periods ${(target.quota?.throttledPeriods() ?? 0) - throttled}, GC max ${gc?.maxMs.toFixed(1)} ms`,
    );
  }
  if (thread) console.log(`the generator thread's largest new space: ${thread.largestNewSpaceMiB} MiB`);
} finally {
  await target.close();
  await thread?.close();
}
