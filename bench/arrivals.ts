/**
 * Arrival plans for the open-model driver: when each request is meant to be sent, decided
 * before the run, independent of how the server answers.
 */

/** A seeded PRNG (mulberry32): the same seed gives the same plan, so runs can be repeated. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Intended send times in microseconds from the plan's start, sorted, for `rateRps` over
 * `seconds`: exactly round(rate * seconds) arrivals. `poisson` draws them as a Poisson process
 * conditioned on that count (sorted uniform times), so the offered rate is exact and the gaps are
 * exponential; `uniform` spaces them evenly.
 */
export function planArrivals(rateRps: number, seconds: number, arrivals: 'poisson' | 'uniform', random: () => number): Float64Array {
  const n = Math.round(rateRps * seconds);
  const span = seconds * 1e6;
  const times = new Float64Array(n);
  if (arrivals === 'uniform') {
    for (let i = 0; i < n; i++) times[i] = (i * span) / n;
    return times;
  }
  for (let i = 0; i < n; i++) times[i] = random() * span;
  return times.sort();
}

/**
 * A seed for one thing, from the run's seed and that thing's identity (e.g. the offered rate, the
 * repetition and the attempt), so the same step gets the same arrival plan whatever order the
 * steps ran in and however many were measured before it. 32-bit FNV-1a over the parts.
 */
export function deriveSeed(...parts: readonly number[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    let x = Math.trunc(part) >>> 0;
    for (let byte = 0; byte < 4; byte++) {
      hash = Math.imul(hash ^ (x & 0xff), 0x01000193) >>> 0;
      x >>>= 8;
    }
  }
  return hash;
}
