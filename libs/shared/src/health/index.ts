export * from './health.controller.js';
export * from './ops.controller.js';
