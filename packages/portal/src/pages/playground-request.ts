// One playground prompt through a coordinator's OpenAI-compatible API (its CORS lets a page call it).

export interface PlaygroundResult {
  miner: string;
  image?: string;
  text?: string;
}

const MODELS = { image: "roost-demo/procedural-image", chat: "roost-demo/tiny-random-llama" };

export async function runPrompt(form: {
  coordinator: string;
  apiKey: string;
  kind: "image" | "chat";
  prompt: string;
}): Promise<PlaygroundResult | { error: string }> {
  const base = form.coordinator.replace(/\/+$/, "");
  const image = form.kind === "image";
  const response = await fetch(`${base}/v1/${image ? "images/generations" : "chat/completions"}`, {
    method: "POST",
    headers: { authorization: `Bearer ${form.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(
      image
        ? { model: MODELS.image, prompt: form.prompt, size: "256x256" }
        : { model: MODELS.chat, messages: [{ role: "user", content: form.prompt }], max_tokens: 32 },
    ),
  });
  const body = (await response.json()) as {
    error?: { message: string };
    data?: { b64_json?: string }[];
    choices?: { message?: { content?: string } }[];
  };
  if (!response.ok) return { error: body.error?.message ?? `HTTP ${response.status}` };
  const miner = response.headers.get("x-roost-miner") ?? "";
  if (image) return { miner, image: `data:image/png;base64,${body.data?.[0]?.b64_json ?? ""}` };
  return { miner, text: body.choices?.[0]?.message?.content ?? "" };
}
