// `npm run build && node dist/bench/scripts/gc-trace.js FILE...`: sums up node `--trace-gc` logs,
// one line per file: how many scavenges (minor mark-sweeps counted with them), their pause at the
// median, 90th and 99th percentile (nearest rank) and the longest, the share longer than 7.5 ms
// (what a 250m quota with a 10 ms period stops a process for at most, so a scavenge longer than
// that was stopped by it or by the host), their total, and the mark-compacts. docs/BENCHMARKS.md
// (set 12) quotes its output. It reads files; it asserts nothing.
import { readFileSync } from 'node:fs';

/** One `--trace-gc` line: `[pid:isolate]  1234 ms: Scavenge 12.4 (17.8) -> 9.2 (17.8) MB, pooled: 0 MB, 39.49 / 0.00 ms ...`. */
const PAUSE = /: (Scavenge|Mark-Compact|Minor Mark-Sweep)\b.*?, ([\d.]+) \/ [\d.]+ ms/;

const at = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

for (const file of process.argv.slice(2)) {
  const scavenges: number[] = [];
  const markCompacts: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = PAUSE.exec(line);
    if (match) (match[1] === 'Mark-Compact' ? markCompacts : scavenges).push(Number(match[2]));
  }
  if (scavenges.length === 0) {
    console.log(`${file}: no scavenge`);
    continue;
  }
  const sorted = [...scavenges].sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  const over = sorted.filter((ms) => ms > 7.5).length;
  console.log(
    `${file}: ${sorted.length} scavenges, pause p50 ${at(sorted, 0.5).toFixed(1)} p90 ${at(sorted, 0.9).toFixed(1)} p99 ${at(sorted, 0.99).toFixed(1)} max ${sorted.at(-1)!.toFixed(1)} ms, ` +
      `${Math.round((100 * over) / sorted.length)}% over 7.5 ms, ${Math.round(total)} ms in all; ${markCompacts.length} mark-compact(s)${markCompacts.length ? `, longest ${Math.max(...markCompacts).toFixed(1)} ms` : ''}`,
  );
}
