export * from './services.js';
export * from './enums.js';
export * from './events.js';
