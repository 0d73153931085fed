export * from './tokens.js';
export * from './service-config.js';
