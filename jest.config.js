/** Unit, integration and e2e tests, and the reliability suite (real tofu/terraform/bao binaries). */
const transform = {
  '^.+\\.ts$': ['ts-jest', {}],
  '^.+\\.proto$': '<rootDir>/test/support/text-transform.js',
};

/** @type {import('jest').Config} */
module.exports = {
  // e2e scenarios run real tofu many times; unit tests finish far below this.
  testTimeout: 300000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      moduleFileExtensions: ['ts', 'js', 'json', 'proto'],
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      // Client backends against real servers started by the tests (OpenBao) or given by env (Coder).
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      moduleFileExtensions: ['ts', 'js', 'json', 'proto'],
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform,
      moduleFileExtensions: ['ts', 'js', 'json', 'proto'],
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
      maxWorkers: 2,
    },
    {
      // Bad-input corpus, tamper matrix, faults, races and canary; writes docs/reliability.md.
      displayName: 'reliability',
      testEnvironment: 'node',
      transform,
      moduleFileExtensions: ['ts', 'js', 'json', 'proto'],
      testMatch: ['<rootDir>/test/reliability/**/*.test.ts'],
      globalSetup: '<rootDir>/test/reliability/global-setup.ts',
      globalTeardown: '<rootDir>/test/reliability/global-teardown.ts',
      maxWorkers: 2,
    },
  ],
};
