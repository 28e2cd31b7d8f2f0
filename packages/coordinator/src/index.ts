// The coordinator node (issue 5), built up module by module: the chain view of the miners, the
// stake-weighted choice among them, and the durable task queue. The HTTP APIs come next.

export * from "./auth/miner-login.js";
export * from "./chain/registry.js";
export * from "./scheduling/weighted-sampler.js";
export * from "./store/index.js";
