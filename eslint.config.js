import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '.tessera/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The web UI's one script runs in the browser, not in Node.
    files: ['src/web/assets/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        HTMLFormElement: 'readonly',
      },
    },
  },
  {
    // Domain code stays free of transports: routes and gRPC handlers adapt it, never the other way round.
    files: ['src/**/*.ts'],
    ignores: ['src/http/**', 'src/cli/**', 'src/runtime/**', 'src/services/**', 'src/web/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', '@grpc/*'],
              message: 'domain code must not import a transport',
            },
          ],
        },
      ],
    },
  },
  {
    // The SDK stands alone: an AI gateway team installs it without the rest of Tessera.
    files: ['packages/sdk/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src/**', '../../src/*'], message: 'the SDK imports nothing from src/' }] },
      ],
    },
  },
);
