import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '.stack/**', '.turbo/**', 'bench/results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `any` needs a reason beside it: an eslint-disable comment with one.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Lesson: a focused or skipped test silently shrinks the suite.
      'no-restricted-properties': [
        'error',
        { object: 'it', property: 'only', message: 'focused tests must not be committed' },
        { object: 'describe', property: 'only', message: 'focused tests must not be committed' },
        { object: 'test', property: 'only', message: 'focused tests must not be committed' },
      ],
      eqeqeq: ['error', 'always'],
    },
  },
);
