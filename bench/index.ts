/**
 * bench/: measures the hello service (or any URL) and turns the measurements into resources and
 * HPA settings. A pipeline of small functions: run -> summarize -> recommend (pure) -> present.
 */
export * from './results.js';
