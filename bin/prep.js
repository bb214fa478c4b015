#!/usr/bin/env node
// The `prep` command. A published package runs the compiled CLI from dist/; a checkout
// without a build runs the TypeScript source through tsx (a devDependency).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (existsSync(built)) {
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
