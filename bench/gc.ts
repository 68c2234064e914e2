/**
 * A full garbage collection of the calling thread's heap, between open-model steps: the garbage
 * one step leaves (an overload step's queued requests above all) is then not collected during
 * the next step's measured window, where the pause would show as send lag. `gc` is exposed at run
 * time (the CLI is not started with --expose-gc); where that fails, steps simply run without it.
 * It collects the calling thread's heap only: the bench calls it on the main thread (its records
 * and the server's readings). The generator's thread does not call it (open-model-thread.ts says why).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let fullGc: (() => void) | undefined;

export function collectGarbage(): void {
  if (fullGc === undefined) {
    fullGc = () => {};
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as unknown;
      if (typeof gc === 'function') fullGc = gc as () => void;
    } catch {
      // keep the no-op
    }
  }
  fullGc();
}
