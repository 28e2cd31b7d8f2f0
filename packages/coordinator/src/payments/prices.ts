// What a miner earns for each accepted result. Prices are per task, chat included: a per-token price
// would make a miner's pay depend on token counts the miner itself reports (and could inflate), while
// a flat price per task is simple, predictable for both sides, and needs no trust in the output.
import { formatCai, InvalidInputError, parseCai } from "@roost/chain";
import type { TaskInput, TaskType } from "@roost/protocol";

/** The price settings as written in the coordinator config: amounts of CAI ("0.5", "1,000", "2k"). */
export interface PriceConfig {
  /** Price of a task of each type whose model has no price of its own. */
  default?: { chat?: string; image?: string };
  /** Price of a task by model id (exact match); wins over the default of its type. */
  models?: Record<string, string>;
}

/**
 * What a task pays when nothing is configured: 0.01 CAI per chat completion and 0.05 CAI per image,
 * images taking several times the GPU time of a typical chat answer.
 */
export const DEFAULT_PRICES: Readonly<Record<TaskType, string>> = { chat: "0.01", image: "0.05" };

const TASK_TYPES = ["chat", "image"] as const satisfies readonly TaskType[];

/** Per-task prices in CAI base units (wei). */
export class PriceTable {
  readonly #defaults: Record<TaskType, bigint>;
  readonly #models: ReadonlyMap<string, bigint>;

  /** @throws InvalidInputError naming the field of an amount that does not parse. */
  constructor(config: PriceConfig = {}) {
    this.#defaults = {
      chat: amount(config.default?.chat ?? DEFAULT_PRICES.chat, "prices.default.chat"),
      image: amount(config.default?.image ?? DEFAULT_PRICES.image, "prices.default.image"),
    };
    this.#models = new Map(
      Object.entries(config.models ?? {}).map(([model, price]) => [
        model,
        amount(price, `prices.models[${JSON.stringify(model)}]`),
      ]),
    );
  }

  /** What a task of this model and type pays (wei): the model's price if listed, else its type's. */
  priceOf(input: Pick<TaskInput, "type" | "model">): bigint {
    return this.#models.get(input.model) ?? this.#defaults[input.type];
  }

  /** The highest price in the table (wei): what faking one task could save at most. */
  dearest(): bigint {
    let dearest = 0n;
    for (const price of [...Object.values(this.#defaults), ...this.#models.values()]) {
      if (price > dearest) dearest = price;
    }
    return dearest;
  }

  /** The table in CAI, for logs and the public network view. */
  describe(): { default: Record<TaskType, string>; models: Record<string, string> } {
    return {
      default: { chat: formatCai(this.#defaults.chat, 18), image: formatCai(this.#defaults.image, 18) },
      models: Object.fromEntries([...this.#models].map(([model, wei]) => [model, formatCai(wei, 18)])),
    };
  }
}

/**
 * Validates the `prices` section of the config (undefined: the defaults) and builds the table.
 * Amounts are strings of CAI; plain JSON numbers are accepted too.
 * @throws InvalidInputError naming the field, e.g. `prices.models["llama"]: not an amount: ...`.
 */
export function parsePriceTable(json: unknown): PriceTable {
  if (json === undefined || json === null) return new PriceTable();
  const root = object(json, "prices");
  only(root, ["default", "models"], "prices");
  const config: PriceConfig = {};
  if (root.default !== undefined) {
    const defaults = object(root.default, "prices.default");
    only(defaults, TASK_TYPES, "prices.default");
    config.default = {};
    for (const type of TASK_TYPES) {
      if (defaults[type] !== undefined) config.default[type] = text(defaults[type], `prices.default.${type}`);
    }
  }
  if (root.models !== undefined) {
    const models = object(root.models, "prices.models");
    config.models = {};
    for (const [model, price] of Object.entries(models)) {
      const field = `prices.models[${JSON.stringify(model)}]`;
      if (model.length === 0) throw new InvalidInputError(`${field}: a model id must not be empty`);
      config.models[model] = text(price, field);
    }
  }
  return new PriceTable(config);
}

function amount(value: string, field: string): bigint {
  try {
    return parseCai(value);
  } catch (error) {
    throw new InvalidInputError(`${field}: not an amount: ${(error as Error).message}`);
  }
}

function text(value: unknown, field: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new InvalidInputError(
    `${field}: not an amount: write CAI as a string such as "0.5", "1,000" or "2k"`,
  );
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`${field}: must be an object`);
  }
  return value as Record<string, unknown>;
}

function only(value: Record<string, unknown>, known: readonly string[], field: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidInputError(`${field}.${key}: unknown setting; known: ${known.join(", ")}`);
    }
  }
}
