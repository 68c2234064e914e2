/**
 * The picture of a bench run, as a self-contained SVG written by hand (no dependency): latency
 * percentiles (response time from the intended send time) against offered rate on a log latency
 * axis, the SLO line, lambda_cap and the chosen operating point C_t. Invalid steps are drawn
 * hollow and left out of the lines.
 */
import type { BenchOpenStep, BenchRecommendation } from './contract.js';
import type { BenchMeasuredRun } from './run.js';

const W = 760;
const H = 440;
const M = { left: 70, right: 150, top: 40, bottom: 55 };
const SERIES = [
  { key: 'p50', label: 'p50', color: '#1b9e77' },
  { key: 'p90', label: 'p90', color: '#7570b3' },
  { key: 'p99', label: 'p99', color: '#d95f02' },
  { key: 'p999', label: 'p99.9', color: '#e7298a' },
] as const;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (x: number): string => x.toFixed(1);

/** The plot's scales: offered rate (linear) and latency (log) to pixels. */
interface Frame {
  readonly pw: number;
  readonly ph: number;
  readonly xMax: number;
  readonly yMin: number;
  readonly yMax: number;
  x(rps: number): number;
  y(ms: number): number;
}

function frameFor(steps: readonly BenchOpenStep[], sloMs: number, capRps: number | null): Frame {
  const values = steps.flatMap((s) => SERIES.map((k) => s.latencyUs[k.key] / 1000)).filter((v) => v > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(...values, sloMs || Infinity, 1))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values, sloMs * 2, 1)));
  const xMax = Math.max(...steps.map((s) => s.offeredRps), capRps ?? 0, 1) * 1.05;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  return {
    pw,
    ph,
    xMax,
    yMin,
    yMax,
    x: (rps) => M.left + (rps / xMax) * pw,
    y: (ms) => M.top + ph - ((Math.log10(Math.max(ms, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph,
  };
}

/**
 * Renders the latency-vs-offered-rate plot as SVG text. Without a recommendation (a run that had
 * nothing valid to recommend from) the SLO line comes from the run's inputs and there is no
 * operating point.
 */
export function renderLatencyPlot(results: BenchMeasuredRun & { readonly recommendation?: BenchRecommendation | null }): string {
  const steps = [...results.measurements.openModel.steps].sort((a, b) => a.offeredRps - b.offeredRps);
  const rec = results.recommendation ?? null;
  const sloMs = rec?.slo.latencyMs ?? Number(results.inputs.sloLatencyMs ?? 0);
  const sloPercentile = rec?.slo.percentile ?? Number(results.inputs.sloPercentile ?? 99);
  const capRps = rec ? (rec.intermediates.lambdaCapRps ?? rec.rps.sloCapacityPerPod) : null;
  const frame = frameFor(steps, sloMs, capRps);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="14" font-weight="bold">${esc(`Response time (from intended send) vs offered rate - ${results.target.url}`)}</text>`);
  out.push(...axes(frame));
  out.push(...markers(frame, rec, sloMs, sloPercentile, capRps));
  out.push(...series(frame, steps));
  out.push(`<text x="${M.left}" y="${M.top + frame.ph + 34}" fill="#666" font-size="10">${esc(`${results.mode} run ${results.createdAt}; ${results.validity.valid ? 'all run checks passed' : `run checks: ${results.validity.problems.length} problem(s)`}`)}</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Grid, ticks and axis labels. */
function axes({ x, y, pw, ph, xMax, yMin, yMax }: Frame): string[] {
  const out: string[] = [];
  for (let d = yMin; d <= yMax * 1.0001; d *= 10) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${f(y(d))}" y2="${f(y(d))}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(y(d) + 4)}" text-anchor="end">${d >= 1 ? d.toFixed(0) : d.toString()} ms</text>`);
  }
  const xTicks = 5;
  for (let i = 0; i <= xTicks; i++) {
    const v = (xMax / xTicks) * i;
    out.push(`<line x1="${f(x(v))}" x2="${f(x(v))}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f(x(v))}" y="${M.top + ph + 16}" text-anchor="middle">${Math.round(v)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle">offered rate (req/s per pod)</text>`);
  out.push(`<text x="16" y="${M.top + ph / 2}" transform="rotate(-90 16 ${M.top + ph / 2})" text-anchor="middle">latency (log scale)</text>`);
  return out;
}

/** The SLO line, lambda_cap and the operating point C_t (or why there is none). */
function markers({ x, y, pw, ph }: Frame, rec: BenchRecommendation | null, sloMs: number, sloPercentile: number, capRps: number | null): string[] {
  const out: string[] = [];
  out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${f(y(sloMs))}" y2="${f(y(sloMs))}" stroke="#c00" stroke-dasharray="6 4" stroke-width="1.5"/>`);
  out.push(`<text x="${M.left + pw + 6}" y="${f(y(sloMs) + 4)}" fill="#c00">SLO p${sloPercentile} ${sloMs} ms</text>`);
  const opRps = rec ? (rec.intermediates.ctRps ?? rec.rps.targetPerPod) : null;
  if (rec && capRps !== null && opRps !== null) {
    out.push(`<line x1="${f(x(capRps))}" x2="${f(x(capRps))}" y1="${M.top}" y2="${M.top + ph}" stroke="#999" stroke-dasharray="3 3"/>`);
    out.push(`<text x="${f(x(capRps) + 4)}" y="${M.top + 14}" fill="#666">lambda_cap ${Math.round(capRps)}</text>`);
    out.push(`<line x1="${f(x(opRps))}" x2="${f(x(opRps))}" y1="${M.top}" y2="${M.top + ph}" stroke="#000" stroke-width="1.5"/>`);
    out.push(`<text x="${f(x(opRps) + 4)}" y="${M.top + 30}">operating point C_t ${Math.round(opRps)} (${rec.hpa.targetCPUUtilizationPercentage}% CPU)</text>`);
  } else {
    out.push(`<text x="${M.left + 8}" y="${M.top + 14}" fill="#c00">no recommendation (see the report)</text>`);
  }
  return out;
}

/** One line per percentile through the valid steps, a dot per step (hollow: invalid), and the legend. */
function series({ x, y, pw }: Frame, steps: readonly BenchOpenStep[]): string[] {
  const out: string[] = [];
  SERIES.forEach((s, i) => {
    const valid = steps.filter((st) => st.valid);
    if (valid.length > 1) {
      const d = valid.map((st, j) => `${j === 0 ? 'M' : 'L'}${f(x(st.offeredRps))},${f(y(st.latencyUs[s.key] / 1000))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
    for (const st of steps) {
      const cx = f(x(st.offeredRps));
      const cy = f(y(st.latencyUs[s.key] / 1000));
      const title = `<title>${esc(`${st.offeredRps} req/s ${s.label} ${(st.latencyUs[s.key] / 1000).toFixed(2)} ms${st.valid ? '' : ` INVALID: ${st.problems.join('; ')}`}`)}</title>`;
      out.push(st.valid ? `<circle cx="${cx}" cy="${cy}" r="3.5" fill="${s.color}">${title}</circle>` : `<circle cx="${cx}" cy="${cy}" r="3.5" fill="white" stroke="${s.color}">${title}</circle>`);
    }
    const ly = M.top + 60 + i * 18;
    out.push(`<line x1="${M.left + pw + 8}" x2="${M.left + pw + 28}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${M.left + pw + 32}" y="${ly + 4}">${s.label}</text>`);
  });
  const ly = M.top + 60 + SERIES.length * 18;
  out.push(`<circle cx="${M.left + pw + 18}" cy="${ly}" r="3.5" fill="white" stroke="#333"/><text x="${M.left + pw + 32}" y="${ly + 4}">invalid step</text>`);
  return out;
}
