import type { FastifyInstance } from "fastify";
import type { CoordinatorServices } from "../services.js";

/** Health, Prometheus metrics and the public network view the portal reads. */
export async function opsApi(app: FastifyInstance, { services }: { services: CoordinatorServices }) {
  const { chain, dispatcher, db } = services;

  app.get("/healthz", async (_request, reply) => {
    const status = chain.status();
    const ok = !db.closed;
    const body = {
      status: !ok ? "down" : status.degraded ? "degraded" : "ok",
      chain: status,
      minersOnline: dispatcher.presence.online().length,
      minersWaiting: dispatcher.waiting,
    };
    // Degraded still serves from its last chain view: 200, so load balancers keep sending traffic.
    return reply.code(ok ? 200 : 503).send(body);
  });

  app.get("/metrics", async (_request, reply) => {
    const text = await services.metrics.render();
    return reply.type(services.metrics.contentType).send(text);
  });

  app.get("/api/network", async () => {
    const counts = services.tasks.countsByStatus();
    return {
      coordinator: services.operator,
      chainId: services.disputesDomain.chainId,
      chain: chain.status(),
      tasks: counts,
      models: dispatcher.presence.models((miner) => chain.eligible(miner)),
      miners: dispatcher.presence.list().map((miner) => ({
        operator: miner.operator,
        online: miner.online,
        eligible: chain.eligible(miner.operator),
        models: miner.models,
        hardware: miner.hardware ?? null,
        lastSeen: new Date(miner.lastSeen).toISOString(),
      })),
    };
  });
}
