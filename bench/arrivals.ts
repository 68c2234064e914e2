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
