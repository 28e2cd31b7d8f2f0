import { caiTokenAbi, disputesAbi, faucetAbi, paymentEscrowAbi, stakingAbi } from "@roost/protocol/abis";
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  type GetContractReturnType,
  getContract,
  type Hex,
  keccak256,
  type PublicClient,
  type Transport,
  toHex,
  type WalletClient,
  zeroHash,
} from "viem";
import type { Deployment } from "./deployment.js";

type Wallet = WalletClient<Transport, Chain, Account>;
type Clients = { public: PublicClient; wallet: Wallet };
type Contract<TAbi extends Abi> = GetContractReturnType<TAbi, Clients, Address>;

/** The five contracts of a deployment, typed from their ABIs. */
export interface RoostContracts {
  token: Contract<typeof caiTokenAbi>;
  staking: Contract<typeof stakingAbi>;
  faucet: Contract<typeof faucetAbi>;
  escrow: Contract<typeof paymentEscrowAbi>;
  disputes: Contract<typeof disputesAbi>;
}

/** Typed viem contract instances for a deployment: `.read.*` for every view, `.write.*`,
 *  `.simulate.*` and `.estimateGas.*` for every action (with a wallet client), `.getEvents.*`
 *  and `.watchEvent.*` for every event. */
export function roostContracts(
  deployment: Deployment,
  publicClient: PublicClient,
  walletClient?: Wallet,
): RoostContracts {
  // Without a wallet the write actions are typed but fail at run time: writers pass a wallet.
  const client = { public: publicClient, wallet: walletClient } as Clients;
  const { contracts } = deployment;
  return {
    token: getContract({ address: contracts.CAIToken, abi: caiTokenAbi, client }),
    staking: getContract({ address: contracts.Staking, abi: stakingAbi, client }),
    faucet: getContract({ address: contracts.Faucet, abi: faucetAbi, client }),
    escrow: getContract({ address: contracts.PaymentEscrow, abi: paymentEscrowAbi, client }),
    disputes: getContract({ address: contracts.Disputes, abi: disputesAbi, client }),
  };
}

/** Role and Status as the contracts number them. */
export const Role = { Miner: 0, Coordinator: 1 } as const;
export const Status = { None: 0, Active: 1, Jailed: 2, Deregistered: 3 } as const;
/** Staking's Role and Status enums as words, for tables and messages. */
export const ROLE_NAMES = ["miner", "coordinator"] as const;
export const STATUS_NAMES = ["not registered", "active", "jailed", "deregistered"] as const;

const roleId = (name: string): Hex => keccak256(toHex(name));
/** The AccessControl role ids of the Roost contracts (`keccak256(name)`, as Solidity computes them). */
export const ROLES = {
  DEFAULT_ADMIN_ROLE: zeroHash,
  SLASHER_ROLE: roleId("SLASHER_ROLE"),
  GUARDIAN_ROLE: roleId("GUARDIAN_ROLE"),
  REWARD_DISTRIBUTOR_ROLE: roleId("REWARD_DISTRIBUTOR_ROLE"),
  DRIPPER_ROLE: roleId("DRIPPER_ROLE"),
  ARBITER_ROLE: roleId("ARBITER_ROLE"),
} as const;
