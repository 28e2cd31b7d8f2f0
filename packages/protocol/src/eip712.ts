import type { Address, Hex, TypedDataDomain } from "viem";

/** Chain-specific part of the Roost EIP-712 domain (design section 4). */
export interface RoostDomainParams {
  chainId: number;
  /** The contract that may check the signature on chain: Disputes or PaymentEscrow. */
  verifyingContract: Address;
}

export const ROOST_DOMAIN_NAME = "Roost";
export const ROOST_DOMAIN_VERSION = "1";

/** The EIP-712 domain shared by every Roost signed message: name "Roost", version "1". */
export function roostDomain({ chainId, verifyingContract }: RoostDomainParams) {
  return {
    name: ROOST_DOMAIN_NAME,
    version: ROOST_DOMAIN_VERSION,
    chainId,
    verifyingContract,
  } as const satisfies TypedDataDomain;
}

/** EIP-712 type definitions of all Roost messages; field order is part of the signed type string. */
export const roostTypes = {
  MinerLogin: [
    { name: "coordinator", type: "address" },
    { name: "operator", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "expiresAt", type: "uint64" },
  ],
  TaskResult: [
    { name: "coordinator", type: "address" },
    { name: "taskId", type: "bytes32" },
    { name: "inputHash", type: "bytes32" },
    { name: "resultHash", type: "bytes32" },
    { name: "modelId", type: "string" },
    { name: "completedAt", type: "uint64" },
  ],
  Receipt: [
    { name: "coordinator", type: "address" },
    { name: "miner", type: "address" },
    { name: "cumulativeAmount", type: "uint256" },
  ],
} as const;

export type RoostPrimaryType = keyof typeof roostTypes;

/** A miner's session request to a coordinator, signed by the miner operator. */
export type MinerLogin = {
  /** Operator address of the coordinator node. */
  coordinator: Address;
  /** Operator address of the miner node (the signer). */
  operator: Address;
  /** Single-use nonce. */
  nonce: bigint;
  /** Unix seconds after which the login is void. */
  expiresAt: bigint;
};

/** A miner's commitment to a task's result, signed by the miner operator. */
export type TaskResult = {
  /** Operator address of the coordinator node. */
  coordinator: Address;
  /** 32 random bytes chosen by the coordinator; unique per coordinator. */
  taskId: Hex;
  /** keccak256 of the RFC 8785 canonical JSON input (see `inputHash`). */
  inputHash: Hex;
  /** keccak256 of the raw result bytes (see `resultHash`). */
  resultHash: Hex;
  modelId: string;
  /** Unix seconds. */
  completedAt: bigint;
};

/** What a coordinator owes a miner in total, signed by the coordinator operator. */
export type Receipt = {
  /** Operator address of the coordinator node (the signer). */
  coordinator: Address;
  /** Operator address of the miner node. */
  miner: Address;
  /** Total owed to this miner so far, in CAI base units; only the increase is paid on redemption. */
  cumulativeAmount: bigint;
};

/** Message type of each Roost primary type. */
export interface RoostMessages {
  MinerLogin: MinerLogin;
  TaskResult: TaskResult;
  Receipt: Receipt;
}
