/** ts-jest transpiles only (isolatedModules); `npm run typecheck` does the type checking once. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/functions'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  transform: {
    '^.+\\.[tj]s$': [
      'ts-jest',
      {
        tsconfig: {
          module: 'commonjs',
          allowJs: true,
          esModuleInterop: true,
          resolveJsonModule: true,
          target: 'ES2022',
          isolatedModules: true,
        },
      },
    ],
  },
  // middy 6 ships ESM only; let ts-jest turn it into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  // A bound for a hung test, not a speed limit: integration cases (200 concurrent requests against
  // dynalite, fault rounds) take several times longer on a busy 2-core machine than on a quiet one.
  testTimeout: 120000,
};
