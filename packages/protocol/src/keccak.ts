import { createKeccak, type IHasher } from "hash-wasm";
import { bytesToHex, type Hex, keccak256 as viemKeccak256 } from "viem";

// keccak256 is on every hot path of the nodes (input and output hashes, EIP-712 digests, addresses).
// hash-wasm's WebAssembly keccak takes ~2 us for a few hundred bytes on this machine, viem's pure-JS
// one (noble) ~15 us per 136-byte block. WebAssembly compiles asynchronously, so until the hasher is
// ready (the first milliseconds after import) the same hash comes from viem.

let hasher: IHasher | undefined;
/** Resolves once the WebAssembly hasher is in use (it never rejects: viem stays the fallback). */
export const keccakReady: Promise<void> = createKeccak(256).then(
  (instance) => {
    hasher = instance;
  },
  () => undefined,
);

/** keccak256 of `data`, as 32 bytes. */
export function keccak256Bytes(data: Uint8Array): Uint8Array {
  if (hasher === undefined) return viemKeccak256(data, "bytes");
  hasher.init();
  hasher.update(data);
  return hasher.digest("binary");
}

/** keccak256 of `data`, as 0x hex. */
export function keccak256Hex(data: Uint8Array): Hex {
  return bytesToHex(keccak256Bytes(data));
}
