// ESLint flat config: @eslint/js + typescript-eslint recommended (not type-aware, to stay fast).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.peers/**', '.demo/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      // for plain .js files (typescript-eslint turns no-undef off for .ts)
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // A bridge strips and rejects control characters on purpose (text and line protocols).
      'no-control-regex': 'off',
    },
  },
  {
    // Kysely migrations take a `Kysely<any>`: they run against every past schema (Kysely's docs).
    files: ['src/store/migrations/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
