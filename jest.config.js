// Jest runs in ESM mode because the @actions toolkit packages are ESM-only.
import { availableParallelism } from 'node:os'

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  resolver: 'ts-jest-resolver',
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }]
  },
  testMatch: ['**/__tests__/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // End-to-end tests spawn real Nix builds and servers.
  testTimeout: 120000,
  // Test files run in parallel, one worker per core but at least 2 (an end-to-end file spends
  // much of its time waiting for Nix and servers) and at most 8 (each worker runs its own Nix
  // builds and servers). `node scripts/test.mjs --maxWorkers=1` overrides.
  maxWorkers: Math.min(8, Math.max(2, availableParallelism()))
}
