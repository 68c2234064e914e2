/** Shared building blocks: typed errors, the JSON logger and duration parsing. Imports no part. */
export * from './errors.js';
export * from './logger.js';
export * from './duration.js';
