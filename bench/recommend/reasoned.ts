/**
 * What each step of `recommend` returns: the value it decided, the sentences that explain it (in
 * order, for `reasoning`) and what a reader must be warned of.
 */

/** A decided value with its reasoning and warnings. */
export interface Reasoned<T> {
  readonly value: T;
  readonly reasoning: readonly string[];
  readonly warnings: readonly string[];
}

/** A number to 3 significant digits (or `digits`), for the reasoning's sentences. */
export function sig(x: number, digits = 3): number {
  return Number(x.toPrecision(digits));
}

/** Rounds down to a multiple of `step`, tolerating float error (0.65 stays 0.65). */
export function floorTo(x: number, step: number): number {
  return Math.round(Math.floor(x / step + 1e-9) * step * 1e6) / 1e6;
}
