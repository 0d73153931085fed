export * from './token-bucket.js';
export * from './rate-limit-config.js';
export * from './rate-limited.error.js';
export * from './rate-limit.guard.js';
