import type { FastifyInstance } from "fastify";
import type { Address } from "viem";
import type { CoordinatorServices } from "../services.js";
import { ApiError } from "./errors.js";

function checksOf(services: CoordinatorServices, miner: Address) {
  const { passed, failed } = services.spotChecks.trust.trust(miner);
  return { passed, failed };
}

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
    const paid = new Map(services.earnings.balances().map((b) => [b.miner.toLowerCase(), b.tasks]));
    return {
      coordinator: services.operator,
      chainId: services.disputesDomain.chainId,
      chain: chain.status(),
      tasks: counts,
      spotChecks: services.spotChecks.counts(),
      models: dispatcher.presence.models((miner) => chain.eligible(miner)),
      miners: dispatcher.presence.list().map((miner) => ({
        operator: miner.operator,
        online: miner.online,
        eligible: chain.eligible(miner.operator),
        models: miner.models,
        // Totals only: a miner shown its streak would know when it leaves probation (when to start faking).
        checks: checksOf(services, miner.operator),
        hardware: miner.hardware ?? null,
        tasksServed: paid.get(miner.operator.toLowerCase()) ?? 0,
        lastSeen: new Date(miner.lastSeen).toISOString(),
      })),
    };
  });

  // The evidence bundle behind a slash proposal (its evidenceURI): the bytes whose keccak256 the
  // proposal's evidenceHash is, so anyone can check them.
  app.get<{ Params: { hash: string } }>(
    "/api/evidence/:hash",
    { schema: { params: { type: "object", properties: { hash: { type: "string" } }, required: ["hash"] } } },
    async (request, reply) => {
      const { hash } = request.params;
      if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) {
        throw new ApiError(400, "hash must be the evidence's keccak256: 0x and 64 hex digits", {
          param: "hash",
          code: "invalid_value",
        });
      }
      const evidence = services.slashProposals.evidence(hash);
      if (evidence === undefined) {
        throw new ApiError(404, `no evidence with hash ${hash} here`, { code: "evidence_not_found" });
      }
      return reply.type("application/json; charset=utf-8").send(Buffer.from(evidence));
    },
  );
}
