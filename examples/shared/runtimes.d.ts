/**
 * The few Bun and Deno APIs the examples use, for this repository's `tsc` (which checks
 * against node's types). `@types/bun` and `@types/deno` would redeclare globals node's
 * types declare too (`fetch`, timers) across the whole program; each runtime brings its own
 * full types to an app written for it.
 */

declare namespace Bun {
  interface Server {
    readonly url: URL;
    stop(closeActiveConnections?: boolean): Promise<void>;
    requestIP(request: Request): { address: string; port: number } | null;
  }
  interface ServeOptions {
    port?: number;
    hostname?: string;
    /** Seconds a connection may idle; 0: never closed for idling. */
    idleTimeout?: number;
    fetch(request: Request, server: Server): Response | Promise<Response>;
  }
}
declare const Bun: { serve(options: Bun.ServeOptions): Bun.Server };

declare namespace Deno {
  interface ServeHandlerInfo {
    remoteAddr: { hostname: string; port: number };
    /** Settles once the response has been sent (or failed). */
    completed: Promise<void>;
  }
  interface HttpServer {
    finished: Promise<void>;
    shutdown(): Promise<void>;
  }
}
declare const Deno: {
  serve(
    options: {
      port?: number;
      hostname?: string;
      onListen?: (address: { hostname: string; port: number }) => void;
    },
    handler: (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>,
  ): Deno.HttpServer;
  env: { get(name: string): string | undefined };
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', listener: () => void): void;
  exit(code?: number): never;
};
