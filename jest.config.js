// Baileys 7 and its WASM bridge are ESM-only, so jest runs in native ESM mode
// (node --experimental-vm-modules) and ts-jest emits ESM. Type checking is done
// by `npm run typecheck`, so ts-jest only transpiles (isolatedModules) to stay fast.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  testTimeout: 30000,
};
