import type { FastifyReply, FastifyRequest } from "fastify";
import type { CoordinatorServices } from "../../services.js";
import type { ApiKey } from "../../store/api-keys.js";
import { ApiError } from "../errors.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The app's API key (app API routes only). */
    apiKey: ApiKey | null;
  }
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Per-key token buckets: a key may burst up to its per-minute budget, which refills continuously at
 * budget/60 per second. Kept in memory (one coordinator process), so a restart refills every bucket.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Takes one request from the key's budget: remaining requests, or ms to wait when there are none. */
  take(
    keyId: string,
    perMinute: number,
  ): { allowed: true; remaining: number } | { allowed: false; waitMs: number } {
    const now = this.#now();
    const perMs = perMinute / 60_000;
    let bucket = this.#buckets.get(keyId);
    if (bucket === undefined) {
      bucket = { tokens: perMinute, updatedAt: now };
      this.#buckets.set(keyId, bucket);
    }
    // min() also applies a lowered budget at once.
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.updatedAt) * perMs);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    return { allowed: false, waitMs: Math.ceil((1 - bucket.tokens) / perMs) };
  }
}

const MISSING = "missing API key: send the header 'Authorization: Bearer roost_sk_...'";
const UNKNOWN = "invalid API key: it is unknown or revoked";

/** The onRequest hook of the app API: authenticates the API key, then charges its rate limit. */
export function apiKeyAuth(services: CoordinatorServices, limiter: RateLimiter) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = presentedKey(request.headers.authorization);
    if (token === undefined) throw unauthorized(MISSING, "missing_api_key");
    const key = services.apiKeys.verify(token);
    if (key === undefined) throw unauthorized(UNKNOWN, "invalid_api_key");
    const taken = limiter.take(key.id, key.rateLimitPerMinute);
    if (!taken.allowed) {
      const seconds = Math.max(1, Math.ceil(taken.waitMs / 1000));
      throw new ApiError(
        429,
        `rate limit of ${key.rateLimitPerMinute} requests per minute reached for this API key; retry in ${seconds} s`,
        {
          code: "rate_limit_exceeded",
          headers: { "retry-after": String(seconds), "retry-after-ms": String(taken.waitMs) },
        },
      );
    }
    request.apiKey = key;
    reply.header("x-ratelimit-limit-requests", key.rateLimitPerMinute);
    reply.header("x-ratelimit-remaining-requests", taken.remaining);
  };
}

/** The key from `Bearer <key>`, or from HTTP Basic's password (AUTOMATIC1111 clients use --api-auth). */
function presentedKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(" ");
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === "bearer") return value || undefined;
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon < 0 ? undefined : decoded.slice(colon + 1) || undefined;
  }
  return undefined;
}

function unauthorized(message: string, code: string): ApiError {
  return new ApiError(401, message, { code, headers: { "www-authenticate": 'Bearer realm="roost"' } });
}
