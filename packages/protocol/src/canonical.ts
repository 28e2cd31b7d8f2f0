import { type Hex, stringToBytes } from "viem";
import { keccak256Hex } from "./keccak.js";

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): no whitespace, object keys sorted by UTF-16 code units,
 * numbers and strings serialized as ECMAScript JSON.stringify does (so -0 becomes 0).
 *
 * Accepts only JSON data: null, booleans, finite numbers, well-formed strings, arrays and plain objects.
 * Anything else (NaN, Infinity, undefined, bigint, functions, symbols, lone surrogates, class instances
 * such as Date, cycles) throws a TypeError naming the path of the offending value, e.g. `$.a[2]`.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, "$", new Set());
}

/** keccak256 of the UTF-8 bytes of the canonical JSON of a task input. */
export function inputHash(value: unknown): Hex {
  return keccak256Hex(stringToBytes(canonicalJson(value)));
}

/** keccak256 of the raw result bytes; a string is hashed as its UTF-8 bytes. */
export function resultHash(result: Uint8Array | string): Hex {
  return keccak256Hex(typeof result === "string" ? stringToBytes(result) : result);
}

// In a `u` regex a paired surrogate is one code point, so this matches only lone surrogates.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

function serialize(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}, not JSON`);
      return JSON.stringify(value);
    case "string":
      return serializeString(value, path);
    case "object":
      if (value === null) return "null";
      if (ancestors.has(value)) throw new TypeError(`canonicalJson: ${path} is a circular reference`);
      ancestors.add(value);
      try {
        return Array.isArray(value)
          ? serializeArray(value, path, ancestors)
          : serializeObject(value, path, ancestors);
      } finally {
        ancestors.delete(value);
      }
    default:
      throw new TypeError(`canonicalJson: ${path} is ${typeof value}, not JSON`);
  }
}

function serializeString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) throw new TypeError(`canonicalJson: ${path} has a lone surrogate`);
  return JSON.stringify(value);
}

function serializeArray(value: unknown[], path: string, ancestors: Set<object>): string {
  const items: string[] = [];
  // Indexed loop, not map: map skips holes of sparse arrays, which must be rejected as undefined.
  for (let i = 0; i < value.length; i++) items.push(serialize(value[i], `${path}[${i}]`, ancestors));
  return `[${items.join(",")}]`;
}

function serializeObject(value: object, path: string, ancestors: Set<object>): string {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`canonicalJson: ${path} is a ${proto?.constructor?.name ?? "non-plain"} object`);
  }
  // Default sort compares UTF-16 code units, exactly what RFC 8785 section 3.2.3 requires.
  const keys = Object.keys(value).sort();
  const members = keys.map((key) => {
    const childPath = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
    const member = (value as Record<string, unknown>)[key];
    return `${serializeString(key, childPath)}:${serialize(member, childPath, ancestors)}`;
  });
  return `{${members.join(",")}}`;
}
