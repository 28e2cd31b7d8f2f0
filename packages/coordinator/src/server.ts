import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { appApi } from "./api/app/index.js";
import { installCors } from "./api/cors.js";
import { installErrorHandlers } from "./api/errors.js";
import { minerApi } from "./api/miner-api.js";
import { opsApi } from "./api/ops-api.js";
import type { CoordinatorServices } from "./services.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * False for a route whose answer promises nothing about what it wrote, so it need not wait for the
     * group commit: a miner's poll (a lease lost in a crash only means the task is handed out again).
     */
    acknowledgesWrites?: boolean;
  }
}

export interface ServerOptions {
  /** Fastify's logger option: false for none, or pino options; secrets never reach it (see redact). */
  logger?: FastifyServerOptions["logger"];
}

/** The coordinator's HTTP server: the app API, the miner API and the ops routes on one port. */
export function buildServer(services: CoordinatorServices, options: ServerOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: services.limits.bodyLimit,
    // Long-polls and streams hold connections open; Fastify must not cut them.
    requestTimeout: 0,
    // Answer the many small requests without Nagle delays.
    forceCloseConnections: "idle",
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
  });
  installErrorHandlers(app);
  installCors(app);
  // Nothing is acknowledged before it is on disk: with group commit, an answer waits for the commit of
  // the event-loop turn's writes (microseconds later); a failed commit turns it into a 500. Routes whose
  // answer acknowledges nothing opt out (see FastifyContextConfig.acknowledgesWrites).
  app.addHook("onSend", (request, _reply, payload, done) => {
    const committed =
      request.routeOptions.config.acknowledgesWrites === false ? undefined : services.db.committed();
    if (committed === undefined) return done(null, payload);
    committed.then(
      () => done(null, payload),
      (error: unknown) => done(error as Error),
    );
  });
  app.register(appApi, { services });
  app.register(minerApi, { services });
  app.register(opsApi, { services });
  return app;
}

/**
 * Stops `app`: no new connections, requests in flight may finish for `graceMs`, then every connection
 * is cut. Node 20 leaves a keep-alive connection that never sent a request (what fetch keeps after an
 * aborted long-poll) open forever, so waiting for close() alone can hang a shutdown.
 */
export async function closeServer(app: FastifyInstance, graceMs = 5_000): Promise<void> {
  const closed = app.close();
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
