import type { WriteResult } from '../../store/index.js';
import type { Prep } from '../embed/create-prep.js';
import type { ChangeRecorder } from './change-recorder.js';
import type { ForwardingOptions } from './forwarded-headers.js';
import type { PathRules } from './path-rules.js';
import type { StateCache } from './state-cache.js';
import type { Upstream } from './upstream.js';

/** What the proxy's handlers share (see `createProxyServer`). */
export interface ProxyContext {
  upstream: Upstream;
  /** The engine, the event path over our log, and `serve`. */
  prep: Prep<WriteResult>;
  rules: PathRules;
  cache: StateCache;
  recorder: ChangeRecorder;
  forwarding: ForwardingOptions;
  /** Largest base held back for part 1 of a stream. */
  maxBaseBytes: number;
  /** Largest request body passed on (0: no bound). */
  maxBodyBytes: number;
  /** DSC-1 on plain GETs and HEADs of watched paths (off: they are answered as the upstream does). */
  advertise: boolean;
}
