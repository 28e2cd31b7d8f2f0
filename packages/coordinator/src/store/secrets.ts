import { createHash, randomBytes } from "node:crypto";

/**
 * A bearer secret: `prefix` + 256 random bits (base64url). Only its hash is ever stored; a fast,
 * unsalted SHA-256 is enough for 256 random bits (nothing to brute-force, no precomputed tables).
 */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** SHA-256 of the secret's UTF-8 bytes, lowercase hex: the only form of a secret that is stored. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}
