export * from './app-error.js';
export * from './validation.js';
export * from './error.filter.js';
export * from './rate-limit/index.js';
export * from './html-refusal.filter.js';
