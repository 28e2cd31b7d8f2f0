import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { FastifyReply } from "fastify";
import type { ApiError } from "../errors.js";

/**
 * A server-sent events response written straight to the socket (Fastify steps aside). Writes after
 * the client has gone are dropped: the task it reports on goes on regardless.
 */
export class SseStream {
  readonly #raw: ServerResponse;

  constructor(reply: FastifyReply, headers: Record<string, string>) {
    reply.hijack();
    this.#raw = reply.raw;
    const inherited = reply.getHeaders() as OutgoingHttpHeaders;
    this.#raw.writeHead(200, {
      ...inherited,
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // Proxies such as nginx must pass each event on at once.
      "x-accel-buffering": "no",
    });
    this.#raw.flushHeaders();
  }

  get open(): boolean {
    return !this.#raw.destroyed && !this.#raw.writableEnded;
  }

  /** `data: <json>`; with a name, preceded by `event: <name>`. */
  send(json: string, event?: string): void {
    if (!this.open) return;
    this.#raw.write(event === undefined ? `data: ${json}\n\n` : `event: ${event}\ndata: ${json}\n\n`);
  }

  /** A comment line, which keeps idle proxies from closing the connection. */
  comment(text: string): void {
    if (this.open) this.#raw.write(`: ${text}\n\n`);
  }

  /** OpenAI's in-stream error: a data event whose JSON has an `error` member; its clients throw it. */
  error(error: ApiError): void {
    this.send(JSON.stringify(error.body()));
  }

  end(): void {
    if (this.open) this.#raw.end();
  }
}
