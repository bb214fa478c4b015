export { startServer, type RunningServer, type ServerOptions } from './app/http-listener.js';
export {
  createResourceServer,
  type PreHandler,
  type ResourceServerOptions,
} from './app/resource-server.js';
export { DEFAULT_LISTING_BOUNDS, type ListingBounds } from './app/listing.js';
export {
  PrepEngine,
  type BaseResponse,
  type EngineOptions,
  type EventHistory,
  type Negotiation,
  type SubscriptionLimits,
} from './engine/engine.js';
export {
  Hub,
  Subscription,
  Channel,
  type HubEvent,
  type HubOptions,
  type HubStats,
  type NotificationFormat,
  type CloseReason,
} from './engine/hub.js';
export { createHttp1Sink, createResponseSink, frameChunk, type StreamSink } from './engine/sink.js';
export { StoreHistory } from './log/store-history.js';
export { LogFollower, type FollowedLog, type LogFollowerOptions } from './log/follower.js';
export { EventPath, type EventPathOptions } from './log/event-path.js';
export { type ChangeLog } from './log/change-log.js';
export { responseGate } from './log/response-gate.js';
export { HttpError, sendProblem, readBody } from './http-error.js';
export * from './app/wes/index.js';
export { type StreamTarget } from './engine/engine.js';
export { createHttp2Sink, type Http2Writable } from './engine/sink.js';
export {
  createNodeTransport,
  createHttp1Transport,
  createHttp2CompatTransport,
  createHttp2StreamTransport,
  http2Fields,
  isHttp2Response,
  type PrepTransport,
  type NodeRequest,
  type NodeResponse,
} from './engine/transport.js';
export { type ResourceChange, type ChangeRepresentation } from './log/change.js';
export { MemoryHistory, type MemoryHistoryOptions } from './log/memory-history.js';
export {
  Announcer,
  OPEN_GATE,
  type AnnouncerOptions,
  type Gate,
  type Writer,
  type WriterResponse,
} from './log/announcer.js';
export { captureResponse, type CapturedResponse, type CaptureHandlers } from './embed/capture.js';
export {
  createPrep,
  pathOf,
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
export { prepListener } from './adapters/node.js';
export {
  prepFetch,
  handleFetch,
  type FetchHandler,
  type PrepFetchOptions,
  type HandleFetchOptions,
} from './adapters/fetch.js';
export { fetchRuntime, type FetchRuntime } from './adapters/fetch-runtime.js';
export { prepHono } from './adapters/hono.js';
export { prepExpress, type NextFunction } from './adapters/express.js';
export { prepFastify, type PrepFastifyOptions } from './adapters/fastify.js';
export {
  createHttp2Server,
  createPrepHttp2Server,
  closeHttp2Server,
  listenHttp2,
  type Http2Mode,
  type Http2ServerOptions,
  type Http2Listener,
} from './adapters/http2.js';
export {
  startHttp2Server,
  type Http2StartOptions,
  type RunningHttp2Server,
} from './app/http2-listener.js';
export { createWebPage, type WebPage, type WebPageOptions } from './app/web-page.js';
export * from './auth/index.js';
export {
  startProxy,
  type ProxyListenerOptions,
  type RunningProxy,
} from './proxy/proxy-listener.js';
export {
  createProxyServer,
  type ProxyServer,
  type ProxyServerOptions,
  type ProxyStats,
} from './proxy/proxy-server.js';
