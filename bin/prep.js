#!/usr/bin/env node
// The `prep` command. A checkout runs the TypeScript source through tsx (a devDependency), so
// a stale dist/ is never run by mistake; an installed package (no src/) runs the compiled CLI.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
