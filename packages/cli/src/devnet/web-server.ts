import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isAddress } from "viem";
import { type Dripper, DripRefusedError } from "./drip.js";
import { portalFile } from "./portal-files.js";

// The devnet's web server on 127.0.0.1: the staking portal's files, the gasless faucet
// (POST /api/faucet/drip) and the network's description the portal reads (GET /api/devnet).

export interface DevnetWebServer {
  url: string;
  close(): Promise<void>;
}

export interface WebServerOptions {
  port: number;
  /** The gasless faucet; without one (a real network), POST /api/faucet/drip answers 404. */
  dripper?: Dripper;
  /** What GET /api/devnet answers: the network a page should talk to (no secrets). */
  describe: () => unknown;
  /** The built portal's directory; without one, / says how to build it. */
  portal?: string | undefined;
}

const MAX_BODY = 4_096;

export async function startWebServer(options: WebServerOptions): Promise<DevnetWebServer> {
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      send(response, 500, { error: { message: error instanceof Error ? error.message : String(error) } });
    });
  });
  await listen(server, options.port);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: WebServerOptions, request: IncomingMessage, response: ServerResponse) {
  const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
  if (path === "/api/devnet" && request.method === "GET") return send(response, 200, options.describe());
  if (path === "/api/faucet/drip" && options.dripper !== undefined) {
    if (request.method !== "POST") return send(response, 405, error("use POST", "method"));
    const body = await readJson(request);
    if (body === undefined)
      return send(response, 400, error('the body must be JSON: {"address": "0x..."}', "body"));
    const address = (body as { address?: unknown }).address;
    if (typeof address !== "string" || !isAddress(address)) {
      return send(response, 400, error("address must be a 0x-prefixed 20-byte hex address", "address"));
    }
    try {
      const result = await options.dripper.drip(address);
      return send(response, 200, {
        transactionHash: result.transactionHash,
        amount: result.amount.toString(),
        nextClaimAt: Number(result.nextClaimAt),
      });
    } catch (refused) {
      if (refused instanceof DripRefusedError) return send(response, refused.status, error(refused.message));
      throw refused;
    }
  }
  if (request.method === "GET" && !path.startsWith("/api/")) {
    if (options.portal === undefined) {
      return send(response, 404, error("the portal is not built: run npm run build"));
    }
    const file = portalFile(options.portal, path);
    if (file !== undefined) {
      response.writeHead(200, {
        "content-type": file.type,
        "content-length": file.body.length,
        "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
      });
      return response.end(file.body);
    }
  }
  return send(response, 404, error(`no route ${request.method} ${path}`));
}

function error(message: string, param?: string) {
  return { error: { message, ...(param === undefined ? {} : { param }) } };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of request) {
    text += chunk;
    if (text.length > MAX_BODY) return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "EADDRINUSE"
          ? new Error(`port ${port} is already in use: stop what runs there or pass --web-port`)
          : e,
      ),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
}
