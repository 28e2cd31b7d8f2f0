// The HTTP floor: a bare Fastify server (the coordinator's version and settings) with one POST route
// that validates a small JSON body against a schema and answers a chat.completion-sized JSON object,
// doing nothing else. Started by bench/coordinator/http-floor.ts, to which it sends { port }.
import Fastify from "fastify";

const app = Fastify({ logger: false, requestTimeout: 0, forceCloseConnections: "idle" });
const body = {
  type: "object",
  required: ["model", "messages"],
  properties: { model: { type: "string" }, messages: { type: "array" }, max_tokens: { type: "integer" } },
};
app.post("/v1/chat/completions", { schema: { body } }, async (request) => ({
  id: "chatcmpl-floor",
  object: "chat.completion",
  created: Math.floor(Date.now() / 1000),
  model: request.body.model,
  choices: [{ index: 0, message: { role: "assistant", content: "echo" }, finish_reason: "stop" }],
}));
await app.listen({ host: "127.0.0.1", port: 0 });
process.send?.({ event: "ready", port: app.server.address().port });
process.on("disconnect", () => process.exit(0));
