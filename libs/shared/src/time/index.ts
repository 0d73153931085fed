export * from './clock.js';
export * from './natural-days.js';
