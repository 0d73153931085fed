export * from './phone.js';
export * from './phone-vault.js';
