// The coordinator node (design section 5): the app and miner HTTP APIs over a durable SQLite queue,
// stake-weighted dispatch to miners followed from the chain, receipts for the miners' pay.

export * from "./api/errors.js";
export * from "./auth/miner-login.js";
export * from "./chain/registry.js";
export * from "./config.js";
export * from "./dispatch/dispatcher.js";
export * from "./dispatch/presence.js";
export * from "./dispatch/task-events.js";
export * from "./node/coordinator-node.js";
export * from "./node/create-services.js";
export * from "./ops/metrics.js";
export * from "./payments/earnings.js";
export * from "./payments/escrow-watch.js";
export * from "./payments/prices.js";
export * from "./scheduling/weighted-sampler.js";
export * from "./server.js";
export * from "./services.js";
export * from "./store/index.js";
