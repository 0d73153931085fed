export * from './runtime.js';
export * from './core.module.js';
export * from './bootstrap.js';
export * from './production.js';
