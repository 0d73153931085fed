// Infrastructure suite (`npm run test:infra`): real PostgreSQL and RabbitMQ on this machine.
import { base } from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/infra/**/*.infra.spec.ts'],
  testTimeout: 180_000,
  maxWorkers: 1,
};
