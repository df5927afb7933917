/** Two projects: fast unit tests, and e2e tests that drive real tofu/terraform/bao binaries. */
const transform = {
  '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
  '^.+\\.proto$': '<rootDir>/test/support/text-transform.js',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      moduleFileExtensions: ['ts', 'js', 'json', 'proto'],
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform,
      moduleFileExtensions: ['ts', 'js', 'json', 'proto'],
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
      testTimeout: 300000,
      maxWorkers: 2,
    },
  ],
};
