import { isCanonicalSignature, keccak256Hex } from "@roost/protocol";
import secp256k1 from "secp256k1";
import { type Address, bytesToHex, getAddress, type Hex, hexToBytes } from "viem";
import { privateKeyToAddress } from "viem/accounts";

// Every accepted result costs one signature recovery (the TaskResult) and one signature (the Receipt).
// viem's pure-JS secp256k1 takes ~1.4 ms to recover and ~0.3 ms to sign on this machine; libsecp256k1
// through the `secp256k1` package's prebuilt binding takes ~55 us and ~42 us, which is what lets one
// coordinator accept thousands of results a second. The package falls back to pure JS by itself
// where no prebuilt binary exists. The digests are the EIP-712 hashes from @roost/protocol.

/** Signs 32-byte digests with one key, as 65-byte r || s || v signatures (v = 27 or 28, low s). */
export interface DigestSigner {
  readonly address: Address;
  sign(digest: Hex): Hex;
}

export function createDigestSigner(privateKey: Hex): DigestSigner {
  const key = hexToBytes(privateKey);
  if (key.length !== 32 || !secp256k1.privateKeyVerify(key)) throw new TypeError("invalid private key");
  const address = privateKeyToAddress(privateKey);
  return {
    address,
    sign(digest: Hex): Hex {
      const { signature, recid } = secp256k1.ecdsaSign(digestBytes(digest), key);
      const out = new Uint8Array(65);
      out.set(signature, 0);
      out[64] = 27 + recid;
      return bytesToHex(out);
    },
  };
}

/**
 * The address whose key produced `signature` over `digest`, or undefined for a malformed or high-s
 * signature (the contracts use OpenZeppelin's ECDSA, which rejects those, so we do too).
 */
export function recoverDigestSigner(digest: Hex, signature: Hex): Address | undefined {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature) || !isCanonicalSignature(signature)) return undefined;
  const bytes = hexToBytes(signature);
  const recid = (bytes[64] as number) - 27; // 27 or 28: checked by isCanonicalSignature
  try {
    const publicKey = secp256k1.ecdsaRecover(bytes.subarray(0, 64), recid, digestBytes(digest), false);
    return getAddress(`0x${keccak256Hex(publicKey.subarray(1)).slice(-40)}`);
  } catch {
    return undefined; // not a point on the curve
  }
}

function digestBytes(digest: Hex): Uint8Array {
  const bytes = hexToBytes(digest);
  if (bytes.length !== 32) throw new TypeError("digest must be 32 bytes");
  return bytes;
}
