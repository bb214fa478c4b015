/**
 * The browser entry of the test app: hydrates what the server rendered, in StrictMode (whose
 * second mount must not open a second stream), and records hydration errors for the test.
 */
import { StrictMode } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { App } from './app.js';

const root = document.getElementById('root')!;
const errors: string[] = [];
(window as unknown as { hydrationErrors: string[] }).hydrationErrors = errors;
hydrateRoot(
  root,
  <StrictMode>
    <App url={root.dataset.url!} />
  </StrictMode>,
  { onRecoverableError: (error) => errors.push(String(error)) },
);
