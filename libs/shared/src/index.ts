// Decorator metadata must exist before any decorated class below is evaluated.
import 'reflect-metadata';
export * from './contracts/index.js';
export * from './messaging/index.js';
export * from './config/index.js';
export * from './database/index.js';
export * from './auth/index.js';
export * from './http/index.js';
export * from './health/index.js';
export * from './logging/index.js';
export * from './phone/index.js';
export * from './time/index.js';
export * from './bootstrap/index.js';
export * from './divisions/index.js';
export * from './sms/index.js';
export * from './scheduling/work-loop.js';
