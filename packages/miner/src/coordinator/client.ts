import { randomBytes } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { type LeasedTask, type RoostDomainParams, signMinerLogin, type TaskProgress } from "@roost/protocol";
import { type Address, bytesToBigInt, type Hex, type LocalAccount } from "viem";
import type { ResultBody } from "../journal/journal.js";

// The miner's side of the coordinator's miner API (design section 5): one method per route, JSON over
// kept-alive node:http connections (fetch allocates far more per request, and a miner polls forever).

/** The coordinator's latest signed receipt of everything the miner earned there. */
export interface SignedReceipt {
  coordinator: Address;
  miner: Address;
  /** CAI base units, as a decimal string. */
  cumulativeAmount: string;
  /** The coordinator operator's EIP-712 signature (PaymentEscrow domain). */
  signature: Hex;
  tasks: number;
}

export interface ResultResponse {
  accepted: true;
  taskId: Hex;
  receipt: SignedReceipt | null;
}

export interface PollRequest {
  slots: number;
  models: readonly string[];
  waitMs?: number;
  hardware?: Record<string, string | number | boolean>;
}

/** A refusal by the coordinator: HTTP status and the code and message of its JSON error body. */
export class CoordinatorApiError extends Error {
  constructor(
    readonly route: string,
    readonly status: number,
    readonly code: string | null,
    readonly detail: string,
  ) {
    super(`${route}: HTTP ${status}${code === null ? "" : ` ${code}`}: ${detail}`);
    this.name = "CoordinatorApiError";
  }

  /** The session is gone (expired, coordinator restarted): log in again and retry. */
  get sessionLost(): boolean {
    return this.status === 401 || this.code === "invalid_session";
  }
}

export interface CoordinatorClientOptions {
  /** The coordinator's base URL from its on-chain endpoint, e.g. http://127.0.0.1:8080. */
  endpoint: string;
  /** The coordinator's operator address, which logins and results name. */
  coordinator: Address;
  /** The miner operator key. */
  account: LocalAccount;
  /** The MinerLogin domain: chain id and the Disputes contract. */
  domain: RoostDomainParams;
  /** How long a request may wait in silence (beyond a poll's own wait); default 30 s. */
  silenceMs?: number;
}

/** How long a signed MinerLogin may be presented (the coordinator accepts up to 300 s ahead). */
const LOGIN_TTL_S = 120;
/**
 * How long a connection may stay silent before the request is given up: a coordinator that accepts
 * connections but never answers (hung, or a half-open TCP link) must not stall the miner forever.
 */
const SILENCE_MS = 30_000;

/** Where requests go: the endpoint and a kept-alive agent for its protocol. */
interface Connection {
  endpoint: string;
  agent: Agent;
  request: typeof httpRequest;
}

function connect(endpoint: string): Connection {
  const base = endpoint.replace(/\/+$/, "");
  const https = base.startsWith("https:");
  return https
    ? { endpoint: base, agent: new HttpsAgent({ keepAlive: true }), request: httpsRequest }
    : { endpoint: base, agent: new Agent({ keepAlive: true }), request: httpRequest };
}

export class CoordinatorClient {
  readonly coordinator: Address;
  #connection: Connection;
  #token: string | undefined;
  readonly #account: LocalAccount;
  readonly #domain: RoostDomainParams;
  readonly #silenceMs: number;

  constructor(options: CoordinatorClientOptions) {
    this.coordinator = options.coordinator;
    this.#account = options.account;
    this.#domain = options.domain;
    this.#silenceMs = options.silenceMs ?? SILENCE_MS;
    this.#connection = connect(options.endpoint);
  }

  get endpoint(): string {
    return this.#connection.endpoint;
  }

  /**
   * Points the client at the coordinator's new endpoint (it changed it on chain): requests in flight to
   * the old one fail and are retried there, and the next request logs in again.
   */
  setEndpoint(endpoint: string): void {
    this.#connection.agent.destroy();
    this.#connection = connect(endpoint);
    this.#token = undefined;
  }

  get loggedIn(): boolean {
    return this.#token !== undefined;
  }

  /** Signs a fresh MinerLogin and opens a session. */
  async login(): Promise<{ expiresAt: number }> {
    const login = {
      coordinator: this.coordinator,
      operator: this.#account.address,
      nonce: bytesToBigInt(randomBytes(32)),
      expiresAt: BigInt(Math.floor(Date.now() / 1000) + LOGIN_TTL_S),
    };
    const signature = await signMinerLogin(this.#account, this.#domain, login);
    const body = {
      login: { ...login, nonce: login.nonce.toString(10), expiresAt: login.expiresAt.toString(10) },
      signature,
    };
    const session = await this.#send<{ token: string; expiresAt: number }>("POST", "/miner/v1/login", body, {
      auth: false,
    });
    this.#token = session.token;
    return { expiresAt: session.expiresAt };
  }

  /** Long-polls for up to `slots` leased tasks; [] when none came within the wait. */
  async poll(request: PollRequest, signal?: AbortSignal): Promise<LeasedTask[]> {
    const response = await this.#send<{ tasks: LeasedTask[] }>("POST", "/miner/v1/poll", request, {
      ...(signal === undefined ? {} : { signal }),
      silenceMs: Math.min(request.waitMs ?? 120_000, 120_000) + this.#silenceMs,
    });
    return response.tasks;
  }

  /** Streams a piece of the answer and/or how far the task is; returns the extended lease expiry. */
  progress(taskId: Hex, progress: TaskProgress): Promise<{ leaseExpiresAt: number }> {
    return this.#send("POST", `/miner/v1/tasks/${taskId}/progress`, progress);
  }

  /** Submits a journaled, signed result as it was signed. */
  submit(taskId: Hex, body: ResultBody): Promise<ResultResponse> {
    return this.#send("POST", `/miner/v1/tasks/${taskId}/result`, body);
  }

  /** Gives a task back with the reason (the coordinator retries it elsewhere or fails it). */
  fail(taskId: Hex, reason: string): Promise<{ taskId: Hex; status: string }> {
    return this.#send("POST", `/miner/v1/tasks/${taskId}/fail`, { reason: reason.slice(0, 500) });
  }

  /** The latest signed receipt of this miner's earnings here. */
  receipt(): Promise<SignedReceipt> {
    return this.#send("GET", "/miner/v1/receipt");
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#connection.agent.destroy();
  }

  /**
   * One JSON request.
   * @throws CoordinatorApiError on a non-2xx answer; the socket error when the coordinator is unreachable
   */
  async #send<T>(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    options: { auth?: boolean; signal?: AbortSignal; silenceMs?: number } = {},
  ): Promise<T> {
    const headers: Record<string, string | number> = {};
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    if (options.auth !== false && this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    const { endpoint, agent, request } = this.#connection;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${endpoint}${path}`, {
        method,
        headers,
        agent,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      const silenceMs = options.silenceMs ?? this.#silenceMs;
      req.setTimeout(silenceMs, () => {
        req.destroy(new Error(`no answer from ${endpoint} in ${silenceMs / 1000} s`));
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(payload);
    });
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status >= 200 && status < 300) return json as T;
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (error?.code === "invalid_session" || status === 401) this.#token = undefined;
    throw new CoordinatorApiError(
      `${method} ${path}`,
      status,
      error?.code ?? null,
      error?.message ?? text.slice(0, 200),
    );
  }
}
