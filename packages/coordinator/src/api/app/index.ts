import type { FastifyInstance } from "fastify";
import type { CoordinatorServices } from "../../services.js";
import { a1111Routes } from "./a1111.js";
import { apiKeyAuth, RateLimiter } from "./auth.js";
import { openAiRoutes } from "./openai.js";
import { type AppContext, OpenRequests } from "./submit.js";
import { taskRoutes } from "./tasks.js";

/**
 * The app API (design section 5): OpenAI-compatible chat, images and models, AUTOMATIC1111's
 * txt2img, and native async tasks. Every route needs an API key and is charged to its rate limit.
 */
export async function appApi(app: FastifyInstance, { services }: { services: CoordinatorServices }) {
  const ctx: AppContext = { services, open: new OpenRequests() };
  app.decorateRequest("apiKey", null);
  // onRequest runs before the body is read, so refused requests cost no parsing.
  app.addHook("onRequest", apiKeyAuth(services, new RateLimiter()));
  // Requests waiting on tasks would hold the server open for up to the request timeout.
  app.addHook("preClose", async () => ctx.open.closeAll());
  openAiRoutes(app, ctx);
  a1111Routes(app, ctx);
  taskRoutes(app, ctx);
}
