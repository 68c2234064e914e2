/**
 * Shared building blocks: the error catalogue, the JSON logger, duration parsing and the
 * declarative validator. Imports no part and no package (hello/ carries it); config-file.ts, which
 * needs the `yaml` package, is imported on its own by the parts that read config files.
 */
export * from './errors.js';
export * from './logger.js';
export * from './duration.js';
export * from './validate.js';
export * from './http-limits.js';
