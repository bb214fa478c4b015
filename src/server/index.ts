/**
 * `prep-live` and `prep-live/server`: what a server developer needs, and nothing of the
 * machinery behind it (hub, sinks, transports, event path, WES publisher): those are reached
 * through the options below. The report of this surface is api/prep-live.api.md
 * (`node scripts/api-report.mjs`).
 */

// The ready server (`prep serve`) and the proxy (`prep proxy`), started from code.
export { startServer, type RunningServer, type ServerOptions } from './app/http-listener.js';
export {
  startHttp2Server,
  type Http2StartOptions,
  type RunningHttp2Server,
} from './app/http2-listener.js';
export {
  createResourceServer,
  type PreHandler,
  type ResourceServerOptions,
} from './app/resource-server.js';
export { type ListingBounds } from './app/listing.js';
export { type WesPublisherOptions } from './app/wes/publisher.js';
export {
  startProxy,
  type ProxyListenerOptions,
  type RunningProxy,
} from './proxy/proxy-listener.js';
export {
  createProxyServer,
  type ProxyServer,
  type ProxyServerOptions,
} from './proxy/proxy-server.js';

// PREP in your own app: the engine's options, and an adapter per framework or runtime.
export {
  createPrep,
  type Prep,
  type PrepOptions,
  type BaseInit,
  type DecideInit,
  type Decision,
  type PrepRequest,
  type ServeOptions,
  type ServeOutcome,
  type InterceptOptions,
} from './embed/create-prep.js';
export { type EngineOptions, type SubscriptionLimits } from './engine/engine.js';
export { type NodeRequest, type NodeResponse } from './engine/transport.js';
export { prepListener } from './adapters/node.js';
export { prepExpress, type NextFunction } from './adapters/express.js';
export { prepFastify, type PrepFastifyOptions } from './adapters/fastify.js';
export {
  prepFetch,
  handleFetch,
  type FetchHandler,
  type PrepFetchOptions,
  type HandleFetchOptions,
} from './adapters/fetch.js';
export { prepHono } from './adapters/hono.js';
export {
  createPrepHttp2Server,
  closeHttp2Server,
  listenHttp2,
  type Http2Mode,
  type Http2ServerOptions,
  type Http2Listener,
} from './adapters/http2.js';

// Histories: what `Last-Event-ID` resumes from (the default, ours over a store, your own).
export { type EventHistory } from './engine/engine.js';
export { type ChangeLog } from './log/change-log.js';
export { type ResourceChange, type ChangeRepresentation } from './log/change.js';
export { MemoryHistory, type MemoryHistoryOptions } from './log/memory-history.js';
export { StoreHistory } from './log/store-history.js';

// Access control (docs/auth.md): a policy of your own, or bearer tokens from a file.
export { HttpError } from './http-error.js';
export {
  type Access,
  type AccessPolicy,
  type PrincipalLimits,
  TokenPolicy,
  parseTokenPolicyConfig,
  type TokenEntry,
  type TokenPolicyConfig,
  type TokenRule,
  loadTokenPolicyFile,
  type TokenPolicyFile,
  type TokenPolicyFileOptions,
  type WriteRate,
} from './auth/index.js';
