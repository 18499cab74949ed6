/** Unit tests: CDK assertions, config validation and the sample app on loopback. */
module.exports = {
  testEnvironment: 'node',
  // jest's default is one worker per core but one: on a 2-core machine, a single worker
  maxWorkers: 2,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type-checking is `npm run typecheck`'s job: with `isolatedModules` in tsconfig, ts-jest only transpiles.
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean', '<rootDir>/test/support/stop-esbuild.ts'],
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.ts'],
};
