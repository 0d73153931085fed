export * from './principal.js';
export * from './token.service.js';
export * from './auth.guard.js';
