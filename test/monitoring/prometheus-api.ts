/**
 * The Prometheus HTTP API, read from inside the test's network namespace (curl through nsenter):
 * instant queries, raw samples of a range selector, the alerts, and a poll helper.
 */
import type { NetNamespace } from '../support/netns.js';

/** One series of an instant vector. */
export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

/** One series of raw samples (a range selector queried at one instant). */
export interface RawSeries {
  readonly metric: Readonly<Record<string, string>>;
  /** [unix seconds, value] as Prometheus stored them. */
  readonly values: readonly (readonly [number, string])[];
}

/** An entry of `/api/v1/alerts`. */
export interface ActiveAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
}

/** A Prometheus reached from inside the namespace. */
export class PrometheusApi {
  constructor(private readonly ns: NetNamespace, private readonly base: string) {}

  private async get<T>(path: string): Promise<T> {
    const { status, body } = await this.ns.get(`${this.base}${path}`);
    const answer = JSON.parse(body || '{}') as { status?: string; data?: T; error?: string };
    if (status !== 200 || answer.status !== 'success') throw new Error(`Prometheus ${path}: ${status} ${answer.error ?? body.slice(0, 300)}`);
    return answer.data as T;
  }

  /** An instant query. */
  async query(promql: string): Promise<VectorSample[]> {
    return (await this.get<{ result: VectorSample[] }>(`/api/v1/query?query=${encodeURIComponent(promql)}`)).result;
  }

  /** Raw samples of `selector` over the last `seconds`, with the timestamps Prometheus stored. */
  async samples(selector: string, seconds: number): Promise<RawSeries[]> {
    return (await this.get<{ result: RawSeries[] }>(`/api/v1/query?query=${encodeURIComponent(`${selector}[${Math.ceil(seconds)}s]`)}`)).result;
  }

  async alerts(): Promise<ActiveAlert[]> {
    return (await this.get<{ alerts: ActiveAlert[] }>('/api/v1/alerts')).alerts;
  }

  async ruleGroups(): Promise<{ name: string; file: string; rules: { name: string; health: string; lastError?: string }[] }[]> {
    return (await this.get<{ groups: { name: string; file: string; rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules')).groups;
  }

  async targets(): Promise<{ labels: Record<string, string>; scrapePool: string; health: string; lastError: string; scrapeUrl: string }[]> {
    return (await this.get<{ activeTargets: { labels: Record<string, string>; scrapePool: string; health: string; lastError: string; scrapeUrl: string }[] }>('/api/v1/targets?state=active')).activeTargets;
  }
}

/**
 * Polls `probe` every `everyMs` until it returns a value (not undefined), or rejects after
 * `timeoutMs` with `what` and the last value seen by `describeLast`.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250, describeLast?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describeLast ? `: ${await describeLast()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
