#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so a clone works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
