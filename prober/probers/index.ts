import type { ProberName } from '../config/types.js';
import type { ProbeFn } from '../types.js';
import { probeHttp } from './http.js';
import { probeTcp } from './tcp.js';

/** The protocols this build probes: one function per prober name, one signature. */
export const PROBERS: Readonly<Record<ProberName, ProbeFn>> = Object.freeze({
  http: probeHttp,
  tcp: probeTcp,
});

export { probeHttp, probeTcp };
