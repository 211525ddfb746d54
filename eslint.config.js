import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.cluster', 'docs/api', 'coverage', '.compat', 'tools'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    // Type-aware rules need the program: a floating promise or an async callback where a void one
    // is expected loses errors silently, and a switch over a union must name every member.
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/testing/**', '**/examples/**'],
              message: 'lib/ must not import lib/testing or examples',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests, examples and the CLI (its demo runs on FakeCluster; docs/adr/0013) may use the testing
    // kit and the examples; only the library is barred from them.
    files: ['tests/**', 'examples/**', 'bench/**', 'lib/testing/**', 'cli/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
