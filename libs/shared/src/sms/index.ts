export * from './sms-gateway.js';
export * from './console-sms.gateway.js';
export * from './sms-message.entity.js';
export * from './sms-sender.js';
export * from './sms-tables.migration.js';
export * from './sms-messages.controller.js';
