const base = require('./jest.config');

/**
 * `npm run soak`: long-running reliability checks (test/soak/*.soak.ts) that don't belong in `npm test`.
 * Their counts come from the environment (SOAK_KILLS, SOAK_CLIENTS, SOAK_SEED); CI runs them small.
 */
/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['**/soak/**/*.soak.ts'],
  // One soak at a time: each one loads the machine on purpose.
  maxWorkers: 1,
  testTimeout: 30 * 60 * 1000,
};
