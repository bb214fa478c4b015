// Types for the draft author's Express middlewares (plain JavaScript packages), as far as
// the client's interop test uses them.
declare module 'express-prep' {
  import type { RequestHandler } from 'express';
  const prep: RequestHandler;
  export default prep;
}
declare module 'express-prep/event-id' {
  import type { RequestHandler } from 'express';
  const eventID: RequestHandler;
  export default eventID;
}
declare module 'express-accept-events' {
  import type { RequestHandler } from 'express';
  const acceptEvents: RequestHandler;
  export default acceptEvents;
}
declare module 'express-negotiate-events' {
  import type { RequestHandler } from 'express';
  const negotiateEvents: RequestHandler;
  export default negotiateEvents;
}
