// GET /api/network: the public view the portal reads (no key needed), over real HTTP.
import { afterEach, describe, expect, it } from "vitest";
import { CHAT_MODEL, IMAGE_MODEL, startAppCoordinator, stopAll } from "./fixtures/app-harness.js";

afterEach(stopAll);

describe("GET /api/network", () => {
  it("shows the miners online, what they serve, the tasks each was paid for and their checks", async () => {
    const app = await startAppCoordinator();
    const [first, second] = app.miners;
    if (first === undefined || second === undefined) throw new Error("two miners expected");
    await app.serve(first);
    const answer = await app.openai().chat.completions.create({
      model: CHAT_MODEL,
      messages: [{ role: "user", content: "hello" }],
      temperature: 0.7,
    });
    expect(answer.choices).toHaveLength(1);
    const response = await fetch(`${app.url}/api/network`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      coordinator: string;
      tasks: Record<string, number>;
      spotChecks: Record<string, number>;
      models: string[];
      miners: {
        operator: string;
        online: boolean;
        eligible: boolean;
        models: string[];
        tasksServed: number;
        checks: unknown;
      }[];
    };
    expect(body.coordinator).toBe(app.services.operator);
    expect(body.tasks.completed).toBe(1);
    expect(body.spotChecks).toEqual({ running: 0, passed: 0, failed: 0, inconclusive: 0, unchecked: 0 });
    expect(body.models.sort()).toEqual([CHAT_MODEL, IMAGE_MODEL].sort());
    expect(body.miners).toEqual([
      expect.objectContaining({
        operator: first.address,
        online: true,
        eligible: true,
        tasksServed: 1,
        checks: { passed: 0, failed: 0 },
      }),
    ]);
    expect(JSON.stringify(body)).not.toContain("streak"); // a miner must not learn when its probation ends
    expect(body.miners.some((m) => m.operator === second.address)).toBe(false); // never polled
  });
});
