/** Where the node reports what it does; the CLI prints it, tests collect it. Never given secrets. */
export interface MinerLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** A logger that prints with a timestamp: warnings to stderr. */
export const consoleLogger: MinerLogger = {
  info: (message) => console.log(`${new Date().toISOString()} ${message}`),
  warn: (message) => console.error(`${new Date().toISOString()} ${message}`),
};

export const silentLogger: MinerLogger = { info: () => undefined, warn: () => undefined };
