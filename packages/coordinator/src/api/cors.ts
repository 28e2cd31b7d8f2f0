import type { FastifyInstance } from "fastify";

// Browsers may call the app API and the public ops routes from any page (the staking portal's
// playground, a web app): requests carry an API key in Authorization, never cookies, so allowing any
// origin lends a page nothing it did not already hold. The miner API is for nodes, not pages.

const PUBLIC = /^\/(v1|sdapi|api)\//;
const HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers":
    "x-roost-task-id, x-roost-miner, x-ratelimit-limit-requests, x-ratelimit-remaining-requests, retry-after, location",
};

export function installCors(app: FastifyInstance): void {
  app.addHook("onRequest", (request, reply, done) => {
    if (!PUBLIC.test(request.url)) return done();
    reply.headers(HEADERS);
    if (request.method !== "OPTIONS") return done();
    // A preflight: answered here, before routing (no route declares OPTIONS).
    reply
      .code(204)
      .headers({
        "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": "authorization, content-type, idempotency-key",
        "access-control-max-age": "600",
      })
      .send();
  });
}
