import { createServer } from "node:net";

/** A loopback port nothing listens on right now (the OS picks it, so it is not a random guess
 *  that may fall among the ephemeral ports other tests' connections are using). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
