export * from "./canonical.js";
export * from "./eip712.js";
export * from "./generated/abis.js";
export { keccak256Bytes, keccak256Hex, keccakReady } from "./keccak.js";
export * from "./permit.js";
export * from "./signing.js";
export * from "./tasks.js";
