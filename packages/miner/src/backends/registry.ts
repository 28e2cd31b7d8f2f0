import { join } from "node:path";
import type { BackendConfig, HonestBackendConfig } from "../config.js";
import { createA1111Backend } from "./a1111.js";
import { type Backend, BackendUnavailableError } from "./backend.js";
import { createCheatBackend } from "./cheat.js";
import { createDemoImageBackend } from "./demo-image.js";
import { createLlamaBackend } from "./llama.js";
import { createOpenAIBackend } from "./openai.js";
import { ensureTinyModel, TINY_MODEL_ID } from "./tiny-model.js";

/**
 * Makes the configured backends. `home` holds generated files (the tiny random model); `env` gives
 * API keys by variable name, so keys never sit in settings files or logs.
 */
export function createBackends(
  configs: readonly BackendConfig[],
  home: string,
  env: Readonly<Record<string, string | undefined>>,
): Backend[] {
  return configs.map((config) =>
    config.kind === "cheat"
      ? createCheatBackend(createBackend(config.backend, home, env), { fakeShare: config.fakeShare })
      : createBackend(config, home, env),
  );
}

function createBackend(
  config: HonestBackendConfig,
  home: string,
  env: Readonly<Record<string, string | undefined>>,
): Backend {
  switch (config.kind) {
    case "demo-image":
      return createDemoImageBackend(config);
    case "llama": {
      const modelPath = config.model ?? ensureTinyModel(join(home, "tiny-random-llama.gguf"));
      return createLlamaBackend({
        modelPath,
        modelId: config.modelId ?? (config.model === undefined ? TINY_MODEL_ID : modelIdOf(config.model)),
        ...(config.capacity === undefined ? {} : { capacity: config.capacity }),
        // The tiny model is too small to split: more threads only add synchronisation (measured 100x slower).
        ...(config.threads === undefined
          ? config.model === undefined
            ? { threads: 1 }
            : {}
          : { threads: config.threads }),
        ...(config.gpu === undefined ? {} : { gpu: config.gpu }),
      });
    }
    case "openai": {
      const apiKey = config.apiKeyEnv === undefined ? undefined : env[config.apiKeyEnv];
      if (config.apiKeyEnv !== undefined && (apiKey === undefined || apiKey === "")) {
        throw new BackendUnavailableError(
          "openai",
          `its API key is read from the environment variable ${config.apiKeyEnv} (apiKeyEnv), which is not set`,
        );
      }
      return createOpenAIBackend({
        url: config.url,
        models: config.models,
        ...(apiKey === undefined ? {} : { apiKey }),
        ...(config.capacity === undefined ? {} : { capacity: config.capacity }),
      });
    }
    default:
      return createA1111Backend(config);
  }
}

/** A GGUF file's model id when none is configured: its file name without the extension. */
function modelIdOf(path: string): string {
  return (path.split("/").at(-1) ?? path).replace(/\.gguf$/i, "");
}
