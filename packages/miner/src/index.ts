// The miner node (design section 6): discovers coordinators, leases tasks up to its backends'
// capacity, runs them, signs results through a crash-safe journal, and gets paid by receipts.

export * from "./backends/a1111.js";
export * from "./backends/backend.js";
export * from "./backends/demo-image.js";
export * from "./backends/llama.js";
export * from "./backends/openai.js";
export * from "./backends/openai-server.js";
export * from "./backends/registry.js";
export * from "./backends/tiny-model.js";
export * from "./chain/discovery.js";
export * from "./chain/preflight.js";
export * from "./config.js";
export * from "./coordinator/client.js";
export * from "./coordinator/session.js";
export * from "./earnings/auto-redeem.js";
export * from "./earnings/redeemer.js";
export * from "./hardware.js";
export * from "./journal/journal.js";
export * from "./node/backoff.js";
export * from "./node/coordinator-watch.js";
export * from "./node/logger.js";
export * from "./node/miner-node.js";
export * from "./scheduling/capacity.js";
export * from "./tasks/run-task.js";
export * from "./tasks/sign-once.js";
