/**
 * A full garbage collection of the calling thread's heap, between open-model steps: the garbage
 * one step leaves (an overload step's queued requests above all) is then not collected during
 * the next step's measured window, where the pause would show as send lag. `gc` is exposed at run
 * time (the CLI is not started with --expose-gc); where that fails, steps simply run without it.
 * Each thread has its own heap and its own `gc`: the bench calls it on the main thread (its
 * records) and on the generator's thread (the driver's requests).
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
