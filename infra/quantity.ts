/**
 * CPU and memory quantities as the config writes them (`100m`, `0.5`, `64Mi`, `1Gi`), parsed to
 * whole millicores and bytes so quotas and cost envelopes are exact sums, and printed back in the
 * canonical form Kubernetes would use.
 */
import { ConfigError, quoteValue } from '../common/index.js';

const CPU = /^(\d+m|\d+(\.\d{1,3})?)$/;
const MEMORY = /^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_FACTOR: Readonly<Record<string, number>> = {
  '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12,
};

/**
 * Largest CPU amount of one container: 256 cores. Larger numbers are typos, and past 2^53 they
 * would print in exponent form (`1e+23m`), which changes their meaning.
 */
export const MAX_CPU_MILLIS = 256_000;
/** Largest memory or ephemeral storage of one container: 4 TiB (whole-fleet quota sums stay exact). */
export const MAX_BYTES = 4 * 1024 ** 4;

/** What a CPU quantity may be, for messages and schemas. */
export const CPU_ALLOWED = 'a CPU quantity such as "100m", "0.5" or "2", above 0 and at most 256 cores';
/** What a memory or storage quantity may be. */
export const BYTES_ALLOWED = 'a quantity such as "64Mi", "1Gi" or "500M", above 0 and at most 4Ti';
/** RE2 patterns of the two (the JSON Schema of the Helm values). */
export const CPU_PATTERN = CPU.source;
export const BYTES_PATTERN = MEMORY.source;

/** Parses a CPU quantity (`250m`, `1`, `0.5`) into millicores. */
export function parseCpu(text: unknown, field: string): number {
  const millis = typeof text === 'string' && CPU.test(text) && text.length <= 12
    ? (text.endsWith('m') ? Number(text.slice(0, -1)) : Math.round(Number(text) * 1000))
    : Number.NaN;
  if (!(millis > 0 && millis <= MAX_CPU_MILLIS)) throw new ConfigError(field, `${quoteValue(text)} is not allowed; use ${CPU_ALLOWED}`);
  return millis;
}

/** Parses a memory or ephemeral-storage quantity (`64Mi`, `1Gi`, `500M`) into bytes. */
export function parseBytes(text: unknown, field: string): number {
  const match = typeof text === 'string' && text.length <= 20 ? MEMORY.exec(text) : null;
  const bytes = match ? Number(match[1]) * (MEMORY_FACTOR[match[2] ?? ''] ?? 1) : Number.NaN;
  if (!(bytes > 0 && bytes <= MAX_BYTES)) throw new ConfigError(field, `${quoteValue(text)} is not allowed; use ${BYTES_ALLOWED}`);
  return bytes;
}

/** Prints millicores as Kubernetes does: whole cores without a unit, else `NNNm`. */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Prints bytes with the largest binary unit that divides them exactly. */
export function formatBytes(bytes: number): string {
  for (const [unit, factor] of [['Ti', 1024 ** 4], ['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
