import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const BAILEYS_ONLY_IN_ADAPTER = {
  group: ['@whiskeysockets/baileys', '@whiskeysockets/baileys/*', 'whatsapp-rust-bridge', 'whatsapp-rust-bridge/*', 'libsignal', 'libsignal/*'],
  message: 'Baileys and its libraries are imported only under src/whatsapp/baileys/ (the adapter behind the WhatsApp port).',
};

const STORE_IS_INFRASTRUCTURE = {
  group: ['../*', '!../store', '!../store/*'],
  message: 'src/store/ is SQLite infrastructure (database, migrations, statement cache, clock, cursor): it imports no feature folder.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error'],
    },
  },
  {
    // The operator console's browser scripts (plain ES modules, no bundler).
    files: ['src/console/assets/**/*.js'],
    languageOptions: {
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', fetch: 'readonly', FormData: 'readonly', URLSearchParams: 'readonly', EventSource: 'readonly', EventTarget: 'readonly', Event: 'readonly', CustomEvent: 'readonly', Node: 'readonly' },
    },
  },
  // Import boundaries. Rules of the same name replace each other per file, so each block lists
  // every pattern its files must respect.
  {
    // Baileys and its libraries stay behind the WhatsApp port: only the adapter imports them.
    files: ['src/**/*.ts'],
    ignores: ['src/whatsapp/baileys/**', 'src/store/**', 'src/domain/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [BAILEYS_ONLY_IN_ADAPTER] }] },
  },
  {
    // store/ is SQLite infrastructure: the feature folders build on it, never the other way.
    files: ['src/store/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [BAILEYS_ONLY_IN_ADAPTER, STORE_IS_INFRASTRUCTURE] }] },
  },
  {
    // The shared vocabulary is a leaf: everything may import it, it imports nothing.
    files: ['src/domain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '.*', message: 'src/domain/ is the shared vocabulary: a leaf module that imports nothing.' }] }] },
  },
  {
    files: ['tests/**', 'bench/**', 'scripts/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
