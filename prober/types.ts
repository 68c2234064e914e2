import type { Registry } from 'prom-client';
import type { Logger } from '../common/index.js';
import type { Module } from './config/types.js';

/**
 * One probe of one protocol. Registers its own metrics on `registry`, stops when `signal`
 * aborts, and returns false (with the reason logged) when the target fails; it never throws
 * for a failing target. Only the handler sets `probe_success` and `probe_duration_seconds`.
 */
export type ProbeFn = (target: string, module: Module, registry: Registry, signal: AbortSignal, logger: Logger) => Promise<boolean>;
