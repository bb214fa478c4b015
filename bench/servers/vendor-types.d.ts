// Ambient types for the parts of express-prep 0.6.4 and express-accept-events 0.3.0 the
// benchmark uses (the packages ship JavaScript only). Shapes follow their src/*.js.
declare module 'express-accept-events' {
  import type { RequestHandler } from 'express';
  const acceptEvents: RequestHandler;
  export default acceptEvents;
}

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

declare module 'express-prep/templates' {
  export function header(negotiatedFields: Record<string, unknown>): string;
  export function rfc822(fields: {
    method: string;
    date: string | undefined;
    eTag?: string;
    eventID?: unknown;
    location?: string;
    delta?: string | false | undefined;
  }): string;
}
