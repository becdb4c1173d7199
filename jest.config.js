// Baileys 7 and its WASM bridge are ESM-only, so jest runs in native ESM mode
// (node --experimental-vm-modules) and ts-jest emits ESM. Type checking is done
// by `npm run typecheck`, so ts-jest only transpiles (isolatedModules) to stay fast.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // Its ESM build imports JSON without an import attribute, which jest's ESM loader warns about
    // on every file; the package's CommonJS build is the same code.
    '^libphonenumber-js$': '<rootDir>/node_modules/libphonenumber-js/index.cjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  testMatch: ['<rootDir>/tests/**/*.test.ts'],
  testTimeout: 30000,
  // Most suites wait on sockets, timers and child processes (the emulator, ffmpeg, PostgreSQL,
  // Chromium) more than they compute; two workers keep both cores of a small CI machine busy.
  maxWorkers: 2,
};
