// Browser suite (`npm run test:browser`): the live monitoring page in Debian's Chromium
// (/usr/bin/chromium, installed by .ci/run; CHROMIUM_PATH overrides) via playwright-core, against
// the embedded suite. Kept out of `npm test`, which needs nothing but Node and npm.
import { base } from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/browser/**/*.browser.spec.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
};
