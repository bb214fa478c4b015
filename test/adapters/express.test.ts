/**
 * The PREP behaviour suite on Express (`prepExpress`, examples/express.ts): Express 4 (a
 * devDependency) and Express 5, installed beside it as `express5`
 * (`npm install -D express5@npm:express@^5`); without it that run is skipped.
 */
import express from 'express';
import type { Server } from 'node:http';
import { mountDocs, type ExpressModule } from '../../examples/express.js';
import { createPrep } from '../../src/server/index.js';
import { listening, prepBehaviour, type Start } from './behaviour.js';

/** Express 5 as `express5`, or undefined when it is not installed. */
async function loadExpress5(): Promise<ExpressModule | undefined> {
  const name = 'express5';
  try {
    const mod = (await import(name)) as { default: ExpressModule };
    return mod.default;
  } catch {
    return undefined;
  }
}

function startWith(lib: ExpressModule): Start {
  return async ({ prep: options, hold }) => {
    const prep = createPrep(options);
    const app = lib();
    app.use((req, res, next) => {
      hold.wrap(req, res);
      next();
    });
    mountDocs(app, prep, lib);
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return listening(server, prep);
  };
}

const express5 = await loadExpress5();

prepBehaviour('Express 4', startWith(express));
prepBehaviour('Express 5', startWith(express5 ?? express), {
  skip: express5 ? false : 'express5 is not installed: npm install -D express5@npm:express@^5',
});
