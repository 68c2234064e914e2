/**
 * Whole-machine stalls, seen from a worker thread. When a VM is descheduled by its host (which the
 * guest's steal counter does not always show), every timer on every core is late; a worker thread
 * that only wakes every few ms sees that as a gap, while the generator's own busy or collecting
 * thread, or the bench's main thread, does not stop it (the monitor has its own event loop and
 * heap, and the kernel gives a runnable thread a slice within a few ms). The bench reads the stalled time around each measured
 * window to tell "the machine stopped" from "the generator fell behind".
 */
import { Worker } from 'node:worker_threads';

/** A running monitor. */
export interface StallMonitor {
  /** Stalls and their time (ms beyond the timer interval) since the monitor started. */
  read(): { readonly count: number; readonly totalMs: number };
  close(): Promise<void>;
}

/** Gaps at or above this are stalls: well above a CFS slice shared with the main thread. */
export const STALL_THRESHOLD_MS = 20;
const INTERVAL_MS = 2;

// The worker is a few lines, so it is an ES module in a data: URL rather than a shipped file
// (an ES module, so it runs the same whatever --input-type the parent was started with).
const WORKER_SOURCE = `
import { workerData } from 'node:worker_threads';
const totals = new Float64Array(workerData.shared);
const { intervalMs, thresholdMs } = workerData;
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  const late = now - last - intervalMs;
  if (late >= thresholdMs) { totals[0] += 1; totals[1] += late; }
  last = now;
}, intervalMs);
`;
const WORKER_URL = new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`);

/** Starts the monitor in a worker thread (it inherits this thread's CPU pinning). */
export function startStallMonitor(): StallMonitor {
  const shared = new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT);
  const totals = new Float64Array(shared);
  const worker = new Worker(WORKER_URL, { workerData: { shared, intervalMs: INTERVAL_MS, thresholdMs: STALL_THRESHOLD_MS } });
  worker.unref();
  // A failed monitor only loses the stall figures; the bench goes on.
  worker.on('error', () => {});
  return {
    read: () => ({ count: totals[0]!, totalMs: totals[1]! }),
    close: async () => {
      await worker.terminate();
    },
  };
}
