// With --with-cheater the devnet needs work for the cheater to fake: a demo app asks the coordinator
// for a small image every few seconds, as a real app would through the OpenAI-compatible API.

export interface DemoApp {
  /** Requests answered so far. */
  readonly answered: number;
  stop(): Promise<void>;
}

const PROMPTS = [
  "a hen on a roost",
  "a lighthouse at dusk",
  "a fox in the snow",
  "a city of glass",
  "an owl",
];

export function startDemoApp(coordinatorUrl: string, apiKey: string, intervalMs: number): DemoApp {
  let answered = 0;
  let n = 0;
  let inFlight: Promise<void> | undefined;
  const request = async () => {
    const prompt = `${PROMPTS[n % PROMPTS.length]}, take ${Math.floor(n / PROMPTS.length) + 1}`;
    n++;
    const response = await fetch(`${coordinatorUrl}/v1/images/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "roost-demo/procedural-image", prompt, size: "256x256" }),
      signal: AbortSignal.timeout(60_000),
    });
    await response.arrayBuffer();
    if (response.ok) answered++;
  };
  const timer = setInterval(() => {
    if (inFlight !== undefined) return; // one at a time: a slow network does not pile requests up
    inFlight = request()
      .catch(() => undefined) // a refused or slow request: the next one tries again
      .finally(() => {
        inFlight = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    get answered() {
      return answered;
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}
