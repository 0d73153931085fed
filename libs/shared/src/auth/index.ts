export * from './principal.js';
export * from './token.service.js';
export * from './auth.guard.js';
export * from './key-ring.js';
