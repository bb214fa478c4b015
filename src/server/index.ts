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
export { HttpError, sendProblem, readBody } from './http-error.js';
export * from './wes/index.js';
