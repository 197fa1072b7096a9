// Lint rules for the product's TypeScript (client, server, protocol, webview). Type-aware: a promise nobody awaits
// or handles is an error, as is `any`; the product logs through its output channels, never the console.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'native/**', 'test/**', 'training/**', 'bench/**', 'tools/**', 'scripts/**', 'bin/**', '*.mjs'] },
  {
    files: ['client/src/**/*.ts', 'server/src/**/*.ts', 'protocol/src/**/*.ts', 'media/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
);
