import 'reflect-metadata';

// Tests print no request logs unless asked to.
process.env.LOG_LEVEL ??= 'silent';
