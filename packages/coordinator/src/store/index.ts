export * from "./api-keys.js";
export * from "./checkpointer.js";
export * from "./database.js";
export * from "./errors.js";
export * from "./migrations.js";
export * from "./sessions.js";
export * from "./task-record.js";
export * from "./tasks.js";
