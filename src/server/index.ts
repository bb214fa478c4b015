export { startServer, type RunningServer, type ServerOptions } from './server.js';
export { createResourceServer, type ResourceServerOptions } from './resources.js';
export {
  PrepEngine,
  type BaseResponse,
  type EngineOptions,
  type EventHistory,
  type Negotiation,
  type SubscriptionLimits,
} from './prep/engine.js';
export {
  Hub,
  Subscription,
  Channel,
  type HubEvent,
  type HubOptions,
  type HubStats,
  type NotificationFormat,
  type CloseReason,
} from './prep/hub.js';
export { createHttp1Sink, createResponseSink, frameChunk, type StreamSink } from './prep/sink.js';
export { StoreHistory } from './store-history.js';
export {
  LogFollower,
  canListen,
  type ListenableStore,
  type LogFollowerOptions,
} from './log-follower.js';
export { HttpError, sendProblem, readBody } from './http-error.js';
export * from './wes/index.js';
export { type StreamTarget } from './prep/engine.js';
export { createHttp2Sink, type Http2Writable } from './prep/sink.js';
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
} from './prep/transport.js';
export { type ResourceChange, type ChangeRepresentation } from './prep/change.js';
export { MemoryHistory, type MemoryHistoryOptions } from './prep/memory-history.js';
export { Announcer, type AnnouncerOptions, type WriterResponse } from './prep/announcer.js';
export { captureResponse, type CapturedResponse, type CaptureHandlers } from './prep/capture.js';
export {
  createPrep,
  pathOf,
  type Prep,
  type PrepOptions,
  type RecordingHistory,
  type BaseInit,
  type ServeOptions,
  type ServeOutcome,
  type InterceptOptions,
  type NotifyChange,
} from './prep/prep.js';
export { prepListener } from './adapters/node.js';
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
export { startHttp2Server, type Http2StartOptions, type RunningHttp2Server } from './http2.js';
export { createWebPage, type WebPage, type WebPageOptions } from './web-page.js';
export * from './auth/index.js';
