export * from './liaoning-divisions.js';
