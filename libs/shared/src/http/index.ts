export * from './app-error.js';
export * from './validation.js';
export * from './error.filter.js';
