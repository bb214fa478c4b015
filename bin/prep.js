#!/usr/bin/env node
// The `prep` command. A checkout runs the TypeScript sources through tsx (a devDependency),
// the workspace packages' too (the `prep-live-source` export condition), so a stale dist/ is
// never run by mistake; an installed package (no src/) runs the compiled CLI.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const hooks = `export function resolve(specifier, context, next) {
    return next(specifier, { ...context, conditions: [...context.conditions, 'prep-live-source'] });
  }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  const tsx = await import('tsx/esm/api');
  tsx.register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
