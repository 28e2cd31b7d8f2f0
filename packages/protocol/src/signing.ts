import {
  type Address,
  type Hex,
  type LocalAccount,
  recoverTypedDataAddress,
  type TypedDataDefinition,
  verifyTypedData,
} from "viem";
import {
  type MinerLogin,
  type Receipt,
  type RoostDomainParams,
  type RoostMessages,
  type RoostPrimaryType,
  roostDomain,
  roostTypes,
  type TaskResult,
} from "./eip712.js";
import { roostDigest } from "./typed-data-hash.js";

/** Anything that can sign EIP-712 typed data, e.g. a viem LocalAccount from privateKeyToAccount. */
export type TypedDataSigner = Pick<LocalAccount, "signTypedData">;

function typedData<P extends RoostPrimaryType>(
  primaryType: P,
  domain: RoostDomainParams,
  message: RoostMessages[P],
): TypedDataDefinition {
  // Type safety lives in the signature above: viem cannot resolve message types for a generic P.
  return { domain: roostDomain(domain), types: roostTypes, primaryType, message };
}

/** Signs any Roost message; prefer the per-message helpers below. */
export function signRoostMessage<P extends RoostPrimaryType>(
  account: TypedDataSigner,
  primaryType: P,
  domain: RoostDomainParams,
  message: RoostMessages[P],
): Promise<Hex> {
  return account.signTypedData(typedData(primaryType, domain, message));
}

/** The EIP-712 digest (the hash that is actually signed) of any Roost message. */
export function hashRoostMessage<P extends RoostPrimaryType>(
  primaryType: P,
  domain: RoostDomainParams,
  message: RoostMessages[P],
): Hex {
  return roostDigest(primaryType, domain, message);
}

/** The address that signed a Roost message; throws on a malformed signature. */
export function recoverRoostMessageSigner<P extends RoostPrimaryType>(
  primaryType: P,
  domain: RoostDomainParams,
  message: RoostMessages[P],
  signature: Hex,
): Promise<Address> {
  return recoverTypedDataAddress({ ...typedData(primaryType, domain, message), signature });
}

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** 65 bytes r ‖ s ‖ v with low s and v 27 or 28: the only form OpenZeppelin's ECDSA.recover accepts. */
export function isCanonicalSignature(signature: Hex): boolean {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return false;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  return s > 0n && s <= SECP256K1_N / 2n && (v === 27 || v === 28);
}

/**
 * Whether `signature` over the message was made by `signer` in the form the contracts accept (see
 * `isCanonicalSignature`), so that it can serve as on-chain evidence. Never throws: a malformed
 * signature or message (untrusted input) is simply not valid.
 */
export async function verifyRoostMessage<P extends RoostPrimaryType>(
  primaryType: P,
  domain: RoostDomainParams,
  message: RoostMessages[P],
  signature: Hex,
  signer: Address,
): Promise<boolean> {
  if (!isCanonicalSignature(signature)) return false;
  try {
    return await verifyTypedData({ ...typedData(primaryType, domain, message), signature, address: signer });
  } catch {
    return false;
  }
}

/** Receipt: signed by the coordinator operator; domain verifying contract is PaymentEscrow. */
export function signReceipt(account: TypedDataSigner, domain: RoostDomainParams, message: Receipt) {
  return signRoostMessage(account, "Receipt", domain, message);
}
export function hashReceipt(domain: RoostDomainParams, message: Receipt) {
  return hashRoostMessage("Receipt", domain, message);
}
export function recoverReceiptSigner(domain: RoostDomainParams, message: Receipt, signature: Hex) {
  return recoverRoostMessageSigner("Receipt", domain, message, signature);
}
export function verifyReceipt(domain: RoostDomainParams, message: Receipt, signature: Hex, signer: Address) {
  return verifyRoostMessage("Receipt", domain, message, signature, signer);
}

/** TaskResult: signed by the miner operator; domain verifying contract is Disputes. */
export function signTaskResult(account: TypedDataSigner, domain: RoostDomainParams, message: TaskResult) {
  return signRoostMessage(account, "TaskResult", domain, message);
}
export function hashTaskResult(domain: RoostDomainParams, message: TaskResult) {
  return hashRoostMessage("TaskResult", domain, message);
}
export function recoverTaskResultSigner(domain: RoostDomainParams, message: TaskResult, signature: Hex) {
  return recoverRoostMessageSigner("TaskResult", domain, message, signature);
}
export function verifyTaskResult(
  domain: RoostDomainParams,
  message: TaskResult,
  signature: Hex,
  signer: Address,
) {
  return verifyRoostMessage("TaskResult", domain, message, signature, signer);
}

/** MinerLogin: signed by the miner operator; domain verifying contract is Disputes. */
export function signMinerLogin(account: TypedDataSigner, domain: RoostDomainParams, message: MinerLogin) {
  return signRoostMessage(account, "MinerLogin", domain, message);
}
export function hashMinerLogin(domain: RoostDomainParams, message: MinerLogin) {
  return hashRoostMessage("MinerLogin", domain, message);
}
export function recoverMinerLoginSigner(domain: RoostDomainParams, message: MinerLogin, signature: Hex) {
  return recoverRoostMessageSigner("MinerLogin", domain, message, signature);
}
export function verifyMinerLogin(
  domain: RoostDomainParams,
  message: MinerLogin,
  signature: Hex,
  signer: Address,
) {
  return verifyRoostMessage("MinerLogin", domain, message, signature, signer);
}
