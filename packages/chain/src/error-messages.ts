import type { caiTokenAbi, disputesAbi, faucetAbi, paymentEscrowAbi, stakingAbi } from "@roost/protocol";
import type { ContractErrorName } from "viem";
import { formatCai, formatDuration } from "./amounts.js";
import { ROLES, STATUS_NAMES } from "./contracts.js";
import type { ErrorContext } from "./errors.js";

/** Every custom error of the Roost contracts (and the OpenZeppelin ones they inherit), by name. */
export type RoostErrorName =
  | ContractErrorName<typeof caiTokenAbi>
  | ContractErrorName<typeof faucetAbi>
  | ContractErrorName<typeof stakingAbi>
  | ContractErrorName<typeof paymentEscrowAbi>
  | ContractErrorName<typeof disputesAbi>;

/** What a message is computed from: the decoded error arguments and the caller's hints. */
export type ExplainContext = ErrorContext & { readonly now: number };

/** Turns a decoded error's arguments into one sentence (lower case, no final period). */
export type Explain = (args: readonly unknown[], context: ExplainContext) => string;

/** Disputes' ProposalStatus enum, as words. */
export const PROPOSAL_STATUS_NAMES = [
  "none",
  "proposed",
  "disputed",
  "executed",
  "cancelled",
  "upheld",
  "rejected",
  "lapsed",
] as const;

/** AccessControl role names by role id. */
export const ACCESS_ROLE_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ROLES).map(([name, id]) => [id, name]),
);

// Solidity panic codes (https://docs.soliditylang.org/en/latest/control-structures.html#panic-via-assert-and-error-via-require).
const PANICS: Readonly<Record<number, string>> = {
  1: "an assertion failed",
  17: "an arithmetic operation overflowed or underflowed",
  18: "a division or modulo by zero",
  33: "an invalid enum value",
  49: "pop() on an empty array",
  50: "an array index out of bounds",
  65: "too much memory allocated",
};

const cai = (value: unknown): string => (typeof value === "bigint" ? formatCai(value) : String(value));
const text = (value: unknown): string => String(value);
const percent = (bps: unknown): string => `${Number(bps) / 100}%`;
const duration = (seconds: unknown): string =>
  typeof seconds === "bigint" || typeof seconds === "number" ? formatDuration(seconds) : String(seconds);
const named = (names: readonly string[], value: unknown): string => names[Number(value)] ?? `#${text(value)}`;

/** "2025-01-08T00:00:00Z (6d 23h left)", "… (2h ago)", "… (now)"; a raw number if out of range. */
export function formatTimestamp(timestamp: unknown, now: number): string {
  const seconds = Number(timestamp);
  const date = new Date(seconds * 1000);
  if (!Number.isFinite(date.getTime())) return `timestamp ${text(timestamp)}`;
  const iso = date.toISOString().replace(/\.000Z$/, "Z");
  const delta = seconds - Math.floor(now);
  if (delta === 0) return `${iso} (now)`;
  return delta > 0 ? `${iso} (${formatDuration(delta)} left)` : `${iso} (${formatDuration(-delta)} ago)`;
}

const stringTooLong: Explain = (args) =>
  args.length === 1
    ? `the string "${text(args[0])}" is too long to store as a short string`
    : `the text is ${text(args[0])} bytes long, more than the maximum of ${text(args[1])}`;

const nodeNotActive: Explain = ([operator, status]) => {
  const node = `node ${text(operator)}`;
  switch (Number(status)) {
    case 0:
      return `${node} is not registered`;
    case 2:
      return `${node} is jailed; its owner must unjail it first (Staking.unjail)`;
    case 3:
      return `${node} is deregistered and cannot be used again`;
    default:
      return `${node} is ${named(STATUS_NAMES, status)}, not active`;
  }
};

const castOverflow: Explain = ([bits, value]) =>
  `the value ${text(value)} does not fit in ${text(bits)} bits`;

/**
 * One message per error of the Roost ABIs (checked by the type and by a test), plus Solidity's
 * built-in Error(string) and Panic(uint256). Arguments come in ABI order.
 */
export const ERROR_MESSAGES: Readonly<Record<RoostErrorName | "Error" | "Panic", Explain>> = {
  // ---------------------------------------------------------------- Staking
  ZeroAddress: () => "an address argument is the zero address; pass a real address",
  ZeroAmount: () => "the amount must be greater than zero",
  Paused: () => "new stake and registration are paused by the network guardian; try again once they resume",
  OperatorTaken: ([operator]) =>
    `operator ${text(operator)} is (or was) registered to a node and cannot be reused; use a new operator key`,
  OperatorNotApproved: ([operator, owner]) =>
    `operator ${text(operator)} has not approved owner ${text(owner)}; the operator key must first approve this owner (Staking.approveOwner)`,
  NodeNotFound: ([operator]) => `no node was ever registered with operator ${text(operator)}`,
  NotNodeOwner: ([operator, caller]) =>
    `${text(caller)} is not the owner of node ${text(operator)}; only its owner may do this`,
  NodeNotActive: nodeNotActive,
  SelfStakeBelowMinimum: ([selfStake, minimum], { role }) =>
    `self-stake ${cai(selfStake)} is below the ${role ? `${role} ` : ""}minimum of ${cai(minimum)}`,
  EndpointRequired: () => "a coordinator must give the endpoint its miners and apps reach it at",
  StringTooLong: stringTooLong,
  CommissionTooHigh: ([bps]) => `commission ${percent(bps)} is above the maximum of 100%`,
  InsufficientStake: ([requested, available]) =>
    `cannot unstake ${cai(requested)}: only ${cai(available)} is staked on this node`,
  AmountTooSmall: ([amount]) => `${cai(amount)} is worth zero shares of the node's pool; use a larger amount`,
  NodePoolDepleted: ([operator]) =>
    `node ${text(operator)} was slashed to zero and cannot take stake again; its owner must deregister it and register a new operator`,
  LockNotFound: ([lockId]) =>
    `lock #${text(lockId)} does not exist for this account or was already withdrawn`,
  LockNotMatured: ([lockId, unlockAt], { now }) =>
    `lock #${text(lockId)} is still unbonding until ${formatTimestamp(unlockAt, now)}`,
  StillJailed: ([until], { now }) =>
    `the node is jailed until ${formatTimestamp(until, now)}; it can be unjailed after that`,
  NotJailed: ([operator]) => `node ${text(operator)} is not jailed`,
  InvalidBps: (args) =>
    args.length === 1
      ? `a slash of ${percent(args[0])} is out of range: it must be between 0.01% and 100%`
      : `a slash of ${percent(args[0])} is out of range: a proposal may slash between 0.01% and ${percent(args[1])}`,
  InvalidDuration: ([seconds]) =>
    `an emission stream of ${duration(seconds)} is out of range: it must last from 1 second to 365 days`,
  RewardTooSmall: ([amount, seconds]) =>
    `${cai(amount)} over ${duration(seconds)} streams less than 1 wei per second; add more or shorten the duration`,
  CommissionDelayBelowUnbonding: ([delay, unbonding]) =>
    `the commission delay (${duration(delay)}) must be at least the unbonding period (${duration(unbonding)}), so stakers can leave before a raise`,
  PeriodTooLong: ([period, maximum]) =>
    `a period of ${duration(period)} is longer than the maximum of ${duration(maximum)}`,
  MinSelfStakeTooLow: ([amount, floor]) =>
    `a minimum self-stake of ${cai(amount)} is below the floor of ${cai(floor)}`,
  // ---------------------------------------------------------------- PaymentEscrow
  NotACoordinator: ([coordinator]) =>
    `${text(coordinator)} is not a registered coordinator; deposits are only for coordinator operator addresses`,
  NotAMiner: ([account]) => `${text(account)} is not the operator of a registered miner`,
  NotCoordinatorOwner: ([coordinator, caller]) =>
    `${text(caller)} is not the owner of coordinator ${text(coordinator)}; only its owner may unlock and withdraw its deposit`,
  InvalidSigner: ([signer, coordinator]) =>
    `the receipt was signed by ${text(signer)}, not by the operator key of coordinator ${text(coordinator)}`,
  InsufficientDeposit: ([requested, available]) =>
    `cannot unlock ${cai(requested)}: the deposit holds only ${cai(available)} beyond what is already unlocking`,
  NothingUnlocking: ([coordinator]) =>
    `nothing is unlocking for coordinator ${text(coordinator)}; unlock an amount first (PaymentEscrow.unlock)`,
  UnlockNotReady: ([unlockAt], { now }) =>
    `the deposit is still unlocking until ${formatTimestamp(unlockAt, now)}; withdraw after that`,
  LengthMismatch: ([receipts, signatures]) =>
    `${text(receipts)} receipts but ${text(signatures)} signatures: each receipt needs exactly one signature`,
  // ---------------------------------------------------------------- Disputes
  NotSameTask: () => "the two results are not for the same coordinator and task",
  SameResult: () => "the two results commit to the same result hash, which is not equivocation",
  DifferentSigners: ([signerA, signerB]) =>
    `the two results were signed by different keys (${text(signerA)} and ${text(signerB)})`,
  AlreadyProven: ([miner]) =>
    `miner ${text(miner)} was already slashed for equivocation (once per operator key)`,
  NotSameInput: () =>
    "the two results are for different inputs or models, so different results are expected and prove nothing",
  NotActiveCoordinator: ([account]) =>
    `${text(account)} is not the operator of a registered, unjailed coordinator; only such a coordinator may propose a slash`,
  AlreadyProposed: ([coordinator, miner, taskId]) =>
    `coordinator ${text(coordinator)} already proposed to slash miner ${text(miner)} for task ${text(taskId)}`,
  InvalidParam: ([name]) => `the parameter ${text(name)} is out of range`,
  ProposalNotFound: ([id]) => `no slash proposal has id ${text(id)}`,
  WrongStatus: ([id, status]) =>
    `proposal #${text(id)} is ${named(PROPOSAL_STATUS_NAMES, status)}, so this step does not apply to it`,
  WindowClosed: ([id, deadline], { now }) =>
    `the window for this step on proposal #${text(id)} closed at ${formatTimestamp(deadline, now)}`,
  WindowOpen: ([id, deadline], { now }) =>
    `proposal #${text(id)} must wait until its window ends at ${formatTimestamp(deadline, now)}`,
  NotTheMiner: ([id, caller]) =>
    `${text(caller)} is neither the operator nor the owner of the miner accused in proposal #${text(id)}; only they may dispute it`,
  NotTheProposer: ([id, caller]) =>
    `${text(caller)} did not make proposal #${text(id)}; only the proposing coordinator may cancel it`,
  WindowsExceedUnbonding: ([windows, unbonding]) =>
    `the challenge and arbitration windows together (${duration(windows)}) exceed the unbonding period (${duration(unbonding)}), so stake could leave before a dispute is settled`,
  // ---------------------------------------------------------------- Faucet
  ClaimTooSoon: ([account, nextClaimAt], { now }) =>
    `${text(account)} claimed from the faucet too recently; it can claim again at ${formatTimestamp(nextClaimAt, now)}`,
  FaucetEmpty: ([balance, needed]) =>
    `the faucet holds ${cai(balance)} but a claim needs ${cai(needed)}; it must be refilled first`,
  // ---------------------------------------------------------------- OpenZeppelin
  AccessControlBadConfirmation: () => "an account can only renounce a role for itself",
  AccessControlUnauthorizedAccount: ([account, role]) =>
    `${text(account)} does not hold ${ACCESS_ROLE_NAMES[text(role)] ?? `role ${text(role)}`}, which this action requires`,
  ECDSAInvalidSignature: () => "the signature is invalid: it recovers to no address",
  ECDSAInvalidSignatureLength: ([length]) =>
    `the signature is ${text(length)} bytes long; it must be 65 bytes`,
  ECDSAInvalidSignatureS: () =>
    "the signature is malleable (its s value is in the upper half of the curve order)",
  ERC20InsufficientAllowance: ([spender, allowance, needed]) =>
    `the CAI allowance of ${text(spender)} is ${cai(allowance)} but ${cai(needed)} is needed; approve at least that amount for it first (CAIToken.approve)`,
  ERC20InsufficientBalance: ([sender, balance, needed]) =>
    `${text(sender)} holds ${cai(balance)} but ${cai(needed)} is needed`,
  ERC20InvalidApprover: ([approver]) => `${text(approver)} cannot approve CAI (it is the zero address)`,
  ERC20InvalidReceiver: ([receiver]) => `${text(receiver)} cannot receive CAI (it is the zero address)`,
  ERC20InvalidSender: ([sender]) => `${text(sender)} cannot send CAI (it is the zero address)`,
  ERC20InvalidSpender: ([spender]) =>
    `${text(spender)} cannot be approved to spend CAI (it is the zero address)`,
  ERC2612ExpiredSignature: ([deadline], { now }) =>
    `the permit signature expired at ${formatTimestamp(deadline, now)}; sign a new one`,
  ERC2612InvalidSigner: ([signer, owner]) =>
    `the permit was signed by ${text(signer)}, not by the token owner ${text(owner)}`,
  InvalidAccountNonce: ([account, currentNonce]) =>
    `the signature uses a stale nonce for ${text(account)} (its current nonce is ${text(currentNonce)}); sign again`,
  InvalidShortString: () => "a string is too long to store as a short string",
  ReentrancyGuardReentrantCall: () => "the contract refused a re-entrant call",
  SafeERC20FailedOperation: ([token], { amount }) =>
    `a transfer${amount === undefined ? "" : ` of ${cai(amount)}`} of token ${text(token)} failed`,
  SafeCastOverflowedIntDowncast: castOverflow,
  SafeCastOverflowedUintDowncast: castOverflow,
  SafeCastOverflowedUintToInt: ([value]) =>
    `the value ${text(value)} is too large for a signed 256-bit integer`,
  // ---------------------------------------------------------------- Solidity built-ins
  Error: ([reason]) => `the contract reverted: ${text(reason)}`,
  Panic: ([code]) => `the contract panicked: ${PANICS[Number(code)] ?? `panic code ${text(code)}`}`,
};
