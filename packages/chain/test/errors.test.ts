import { caiTokenAbi, disputesAbi, faucetAbi, paymentEscrowAbi, stakingAbi } from "@roost/protocol";
import {
  type Abi,
  type AbiParameter,
  BaseError,
  ChainMismatchError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  createPublicClient,
  encodeErrorResult,
  type Hex,
  HttpRequestError,
  http,
  InsufficientFundsError,
  keccak256,
  NonceTooLowError,
  RawContractError,
  RpcRequestError,
  stringToHex,
  TimeoutError,
  UserRejectedRequestError,
  WaitForTransactionReceiptTimeoutError,
} from "viem";
import { foundry } from "viem/chains";
import { describe, expect, it } from "vitest";
import { ERROR_MESSAGES, explainError, RoostError } from "../src/errors.js";

const CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const OPERATOR = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const OWNER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const CAI = 10n ** 18n;
// 2025-01-08T00:00:00Z, and a "now" 6d 23h 10m before it (2025-01-01T00:50:00Z).
const UNLOCK_AT = 1_736_294_400n;
const NOW = Number(UNLOCK_AT) - (6 * 86_400 + 23 * 3600 + 600);

const ABIS = { caiTokenAbi, faucetAbi, stakingAbi, paymentEscrowAbi, disputesAbi } as const;

/** What viem throws from readContract/simulateContract/writeContract when `functionName` reverts. */
function revert(abi: Abi, data: Hex, functionName = "stake"): ContractFunctionExecutionError {
  const reverted = new ContractFunctionRevertedError({ abi, data, functionName });
  return new ContractFunctionExecutionError(reverted, {
    abi,
    functionName,
    args: [],
    contractAddress: CONTRACT,
  });
}

/** A sample value of an ABI type, to encode every error. */
function sample(parameter: AbiParameter): unknown {
  if (parameter.type === "address") return OPERATOR;
  if (parameter.type === "bytes32") return keccak256(stringToHex("sample"));
  if (parameter.type === "string") return "sample";
  if (parameter.type === "uint8") return 2;
  return 12_345n;
}

describe("ERROR_MESSAGES", () => {
  const errors = Object.entries(ABIS).flatMap(([contract, abi]) =>
    (abi as Abi).flatMap((item) => (item.type === "error" ? [{ contract, item }] : [])),
  );

  it("has a message for every error of the five ABIs", () => {
    const missing = errors.filter(({ item }) => !Object.hasOwn(ERROR_MESSAGES, item.name));
    expect(missing.map(({ contract, item }) => `${contract}.${item.name}`)).toEqual([]);
  });

  it.each(errors.map(({ contract, item }) => [`${contract}.${item.name}`, item] as const))(
    "decodes and explains %s from raw revert data",
    (_, item) => {
      const data = encodeErrorResult({ abi: [item], errorName: item.name, args: item.inputs.map(sample) });
      const explained = explainError({ data }, { now: NOW });
      expect(explained.errorName).toBe(item.name);
      expect(explained.message).not.toMatch(/undefined|NaN|\[object/);
      expect(explained.message).toMatch(/^[a-z0-9]/);
    },
  );
});

describe("explainError: contract reverts", () => {
  it("says which minimum a self-stake misses, with the role from the context", () => {
    const data = encodeErrorResult({
      abi: stakingAbi,
      errorName: "SelfStakeBelowMinimum",
      args: [15_000n * CAI, 20_000n * CAI],
    });
    const error = revert(stakingAbi, data, "register");
    const explained = explainError(error, { role: "miner" });
    expect(explained).toBeInstanceOf(RoostError);
    expect(explained.name).toBe("RoostError");
    expect(explained.message).toBe("self-stake 15,000 CAI is below the miner minimum of 20,000 CAI");
    expect(explained.errorName).toBe("SelfStakeBelowMinimum");
    expect(explained.args).toEqual([15_000n * CAI, 20_000n * CAI]);
    expect(explained.cause).toBe(error);
    expect(explainError(error).message).toBe("self-stake 15,000 CAI is below the minimum of 20,000 CAI");
  });

  const cases: readonly [string, Abi, Hex, string][] = [
    [
      "InsufficientStake",
      stakingAbi,
      encodeErrorResult({ abi: stakingAbi, errorName: "InsufficientStake", args: [500n * CAI, 250n * CAI] }),
      "cannot unstake 500 CAI: only 250 CAI is staked on this node",
    ],
    [
      "LockNotMatured",
      stakingAbi,
      encodeErrorResult({ abi: stakingAbi, errorName: "LockNotMatured", args: [3n, UNLOCK_AT] }),
      "lock #3 is still unbonding until 2025-01-08T00:00:00Z (6d 23h left)",
    ],
    [
      "ClaimTooSoon",
      faucetAbi,
      encodeErrorResult({ abi: faucetAbi, errorName: "ClaimTooSoon", args: [OWNER, UNLOCK_AT] }),
      `${OWNER} claimed from the faucet too recently; it can claim again at 2025-01-08T00:00:00Z (6d 23h left)`,
    ],
    [
      "FaucetEmpty",
      faucetAbi,
      encodeErrorResult({ abi: faucetAbi, errorName: "FaucetEmpty", args: [CAI / 4n, 1_000n * CAI] }),
      "the faucet holds 0.25 CAI but a claim needs 1,000 CAI; it must be refilled first",
    ],
    [
      "ERC20InsufficientBalance",
      caiTokenAbi,
      encodeErrorResult({
        abi: caiTokenAbi,
        errorName: "ERC20InsufficientBalance",
        args: [OWNER, 1_234_567n * (CAI / 1000n), 20_000n * CAI],
      }),
      `${OWNER} holds 1,234.567 CAI but 20,000 CAI is needed`,
    ],
    [
      "ERC20InsufficientAllowance",
      caiTokenAbi,
      encodeErrorResult({
        abi: caiTokenAbi,
        errorName: "ERC20InsufficientAllowance",
        args: [CONTRACT, 0n, 20_000n * CAI],
      }),
      `the CAI allowance of ${CONTRACT} is 0 CAI but 20,000 CAI is needed; approve at least that amount for it first (CAIToken.approve)`,
    ],
    [
      "InvalidSigner",
      paymentEscrowAbi,
      encodeErrorResult({ abi: paymentEscrowAbi, errorName: "InvalidSigner", args: [OWNER, OPERATOR] }),
      `the receipt was signed by ${OWNER}, not by the operator key of coordinator ${OPERATOR}`,
    ],
    [
      "NotSameInput",
      disputesAbi,
      encodeErrorResult({ abi: disputesAbi, errorName: "NotSameInput" }),
      "the two results are for different inputs or models, so different results are expected and prove nothing",
    ],
    [
      "WindowClosed",
      disputesAbi,
      encodeErrorResult({ abi: disputesAbi, errorName: "WindowClosed", args: [7n, BigInt(NOW - 7200)] }),
      "the window for this step on proposal #7 closed at 2024-12-31T22:50:00Z (2h ago)",
    ],
    [
      "WindowOpen",
      disputesAbi,
      encodeErrorResult({ abi: disputesAbi, errorName: "WindowOpen", args: [7n, BigInt(NOW)] }),
      "proposal #7 must wait until its window ends at 2025-01-01T00:50:00Z (now)",
    ],
    [
      "OperatorNotApproved",
      stakingAbi,
      encodeErrorResult({ abi: stakingAbi, errorName: "OperatorNotApproved", args: [OPERATOR, OWNER] }),
      `operator ${OPERATOR} has not approved owner ${OWNER}; the operator key must first approve this owner (Staking.approveOwner)`,
    ],
    [
      "NodeNotActive (jailed)",
      stakingAbi,
      encodeErrorResult({ abi: stakingAbi, errorName: "NodeNotActive", args: [OPERATOR, 2] }),
      `node ${OPERATOR} is jailed; its owner must unjail it first (Staking.unjail)`,
    ],
    [
      "NodeNotActive (deregistered)",
      stakingAbi,
      encodeErrorResult({ abi: stakingAbi, errorName: "NodeNotActive", args: [OPERATOR, 3] }),
      `node ${OPERATOR} is deregistered and cannot be used again`,
    ],
    [
      "NodeNotActive (never registered)",
      stakingAbi,
      encodeErrorResult({ abi: stakingAbi, errorName: "NodeNotActive", args: [OPERATOR, 0] }),
      `node ${OPERATOR} is not registered`,
    ],
    [
      "WrongStatus",
      disputesAbi,
      encodeErrorResult({ abi: disputesAbi, errorName: "WrongStatus", args: [4n, 3] }),
      "proposal #4 is executed, so this step does not apply to it",
    ],
    [
      "InvalidBps (Staking)",
      stakingAbi,
      encodeErrorResult({ abi: stakingAbi, errorName: "InvalidBps", args: [12_500n] }),
      "a slash of 125% is out of range: it must be between 0.01% and 100%",
    ],
    [
      "InvalidBps (Disputes)",
      disputesAbi,
      encodeErrorResult({ abi: disputesAbi, errorName: "InvalidBps", args: [5000n, 3000n] }),
      "a slash of 50% is out of range: a proposal may slash between 0.01% and 30%",
    ],
    [
      "CommissionTooHigh",
      stakingAbi,
      encodeErrorResult({ abi: stakingAbi, errorName: "CommissionTooHigh", args: [10_001n] }),
      "commission 100.01% is above the maximum of 100%",
    ],
    [
      "StringTooLong (Staking)",
      stakingAbi,
      encodeErrorResult({ abi: stakingAbi, errorName: "StringTooLong", args: [300n, 256n] }),
      "the text is 300 bytes long, more than the maximum of 256",
    ],
    [
      "PeriodTooLong",
      paymentEscrowAbi,
      encodeErrorResult({
        abi: paymentEscrowAbi,
        errorName: "PeriodTooLong",
        args: [400n * 86_400n, 365n * 86_400n],
      }),
      "a period of 400d is longer than the maximum of 365d",
    ],
    [
      "ERC2612ExpiredSignature",
      caiTokenAbi,
      encodeErrorResult({ abi: caiTokenAbi, errorName: "ERC2612ExpiredSignature", args: [BigInt(NOW - 90)] }),
      "the permit signature expired at 2025-01-01T00:48:30Z (1m 30s ago); sign a new one",
    ],
  ];

  it.each(cases)("explains %s", (_, abi, data, message) => {
    const explained = explainError(revert(abi, data), { now: NOW });
    expect(explained.message).toBe(message);
    expect(explained.errorName).toBe(_.split(" ")[0]);
  });

  const roles = ["SLASHER_ROLE", "GUARDIAN_ROLE", "REWARD_DISTRIBUTOR_ROLE", "DRIPPER_ROLE", "ARBITER_ROLE"];
  it.each([
    ...roles.map((role) => [role, keccak256(stringToHex(role))] as const),
    ["DEFAULT_ADMIN_ROLE", `0x${"0".repeat(64)}`] as const,
  ])("names the missing %s of AccessControlUnauthorizedAccount", (role, hash) => {
    const data = encodeErrorResult({
      abi: stakingAbi,
      errorName: "AccessControlUnauthorizedAccount",
      args: [OWNER, hash as Hex],
    });
    expect(explainError(revert(stakingAbi, data, "slash")).message).toBe(
      `${OWNER} does not hold ${role}, which this action requires`,
    );
  });

  it("prints an unknown role by its hash", () => {
    const hash = keccak256(stringToHex("MINTER_ROLE"));
    const data = encodeErrorResult({
      abi: faucetAbi,
      errorName: "AccessControlUnauthorizedAccount",
      args: [OWNER, hash],
    });
    expect(explainError({ data }).message).toBe(
      `${OWNER} does not hold role ${hash}, which this action requires`,
    );
  });

  it("decodes an error the called contract's ABI lacks (a token error bubbling up from Staking.stake)", () => {
    const data = encodeErrorResult({
      abi: caiTokenAbi,
      errorName: "ERC20InsufficientAllowance",
      args: [CONTRACT, 5n * CAI, 20_000n * CAI],
    });
    const error = revert(stakingAbi, data);
    expect(error.walk((e) => e instanceof ContractFunctionRevertedError)).toMatchObject({ data: undefined });
    const explained = explainError(error);
    expect(explained.errorName).toBe("ERC20InsufficientAllowance");
    expect(explained.message).toContain(`is 5 CAI but 20,000 CAI is needed`);
  });

  it("uses the amount from the context where the error has none", () => {
    const data = encodeErrorResult({
      abi: stakingAbi,
      errorName: "SafeERC20FailedOperation",
      args: [CONTRACT],
    });
    expect(explainError(revert(stakingAbi, data), { amount: 20n * CAI }).message).toBe(
      `a transfer of 20 CAI of token ${CONTRACT} failed`,
    );
  });

  it("explains require reasons and panics", () => {
    const reason = encodeErrorResult({
      abi: [{ type: "error", name: "Error", inputs: [{ type: "string", name: "reason" }] }],
      errorName: "Error",
      args: ["not allowed"],
    });
    expect(explainError(revert(stakingAbi, reason)).message).toBe("the contract reverted: not allowed");
    const panic = encodeErrorResult({
      abi: [{ type: "error", name: "Panic", inputs: [{ type: "uint256", name: "code" }] }],
      errorName: "Panic",
      args: [0x11n],
    });
    const explained = explainError({ data: panic });
    expect(explained.errorName).toBe("Panic");
    expect(explained.message).toBe(
      "the contract panicked: an arithmetic operation overflowed or underflowed",
    );
  });

  it("reports an error selector no Roost ABI knows", () => {
    const explained = explainError(revert(stakingAbi, "0xdeadbeef"));
    expect(explained.message).toBe(
      "the contract reverted with an error unknown to Roost (selector 0xdeadbeef)",
    );
    expect(explained.errorName).toBeUndefined();
  });
});

describe("explainError: raw revert data", () => {
  const data = encodeErrorResult({ abi: stakingAbi, errorName: "LockNotFound", args: [9n] });
  const message = "lock #9 does not exist for this account or was already withdrawn";

  it("decodes `data` on a plain object", () => {
    const explained = explainError({ data });
    expect(explained.message).toBe(message);
    expect(explained.args).toEqual([9n]);
  });

  it("decodes `cause.data` and nested `data.data`", () => {
    expect(explainError(new Error("call failed", { cause: { data } })).message).toBe(message);
    expect(explainError({ data: { data } }).errorName).toBe("LockNotFound");
  });

  it("decodes viem's RawContractError and an RPC error's data", () => {
    expect(explainError(new RawContractError({ data })).errorName).toBe("LockNotFound");
    const rpc = new RpcRequestError({
      body: { method: "eth_call" },
      error: { code: 3, message: "execution reverted", data },
      url: "http://127.0.0.1:8545",
    });
    expect(explainError(rpc).message).toBe(message);
  });
});

describe("explainError: other failures", () => {
  it("says the RPC is unreachable when a real request fails", async () => {
    const client = createPublicClient({ transport: http("http://127.0.0.1:1", { retryCount: 0 }) });
    const error = await client.getBlockNumber().catch((e: unknown) => e);
    const explained = explainError(error);
    expect(explained.errorName).toBe("RpcUnreachable");
    expect(explained.message).toBe(
      "cannot reach the chain RPC at http://127.0.0.1:1; check that the node is running and the URL is right",
    );
    expect(explained.cause).toBe(error);
  });

  it("recognizes a refused connection, an HTTP error status, and drops credentials from the URL", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8545"), { code: "ECONNREFUSED" });
    expect(
      explainError(new TypeError("fetch failed", { cause: refused }), { rpcUrl: "http://h:8545" }).message,
    ).toBe(
      "cannot reach the chain RPC at http://h:8545; check that the node is running and the URL is right",
    );
    const status = new HttpRequestError({ status: 503, url: "https://user:secret@rpc.example/v1?key=abc" });
    expect(explainError(status).message).toBe(
      "cannot reach the chain RPC at https://rpc.example (HTTP 503); check that the node is running and the URL is right",
    );
  });

  it.each([
    [
      "InsufficientFundsForGas",
      new InsufficientFundsError({ cause: new BaseError("insufficient funds for gas * price + value") }),
      "the account does not have enough of the chain's native token to pay for gas; fund it and try again",
    ],
    [
      "NonceTooLow",
      new NonceTooLowError({ nonce: 3 }),
      "another transaction from this account already uses this nonce (nonce too low or replacement underpriced); wait for pending transactions to confirm and try again",
    ],
    [
      "NonceTooLow",
      new RpcRequestError({
        body: { method: "eth_sendRawTransaction" },
        error: { code: -32000, message: "replacement transaction underpriced" },
        url: "http://127.0.0.1:8545",
      }),
      "another transaction from this account already uses this nonce (nonce too low or replacement underpriced); wait for pending transactions to confirm and try again",
    ],
    [
      "UserRejected",
      new UserRejectedRequestError(new Error("User denied")),
      "the request was rejected in the wallet",
    ],
    [
      "UserRejected",
      { code: 4001, message: "User rejected the request." },
      "the request was rejected in the wallet",
    ],
    [
      "ChainMismatch",
      new ChainMismatchError({ chain: foundry, currentChainId: 1 }),
      "the wallet is on chain 1 but the transaction is for chain 31337; switch the wallet's network",
    ],
    [
      "Timeout",
      new TimeoutError({ body: { method: "eth_blockNumber" }, url: "http://127.0.0.1:8545" }),
      "the chain RPC at http://127.0.0.1:8545 did not answer in time; try again or use another RPC",
    ],
    [
      "Timeout",
      new WaitForTransactionReceiptTimeoutError({ hash: `0x${"ab".repeat(32)}` }),
      "timed out waiting for the transaction to be confirmed; it may still be mined, so check it before sending it again",
    ],
  ] as const)("explains %s", (errorName, error, message) => {
    const explained = explainError(error);
    expect(explained.errorName).toBe(errorName);
    expect(explained.message).toBe(message);
  });

  it("keeps the message of an unknown error", () => {
    const plain = explainError(new Error("something odd"));
    expect(plain.message).toBe("something odd");
    expect(plain.errorName).toBeUndefined();
    expect(plain.args).toBeUndefined();
    expect(explainError(new BaseError("Viem short message.", { details: "long details" })).message).toBe(
      "Viem short message.",
    );
    expect(explainError("a string").message).toBe("a string");
  });

  it("returns a RoostError unchanged", () => {
    const error = new RoostError("already explained", { errorName: "Paused" });
    expect(explainError(error)).toBe(error);
    expect(Object.hasOwn(new RoostError("no cause"), "cause")).toBe(false);
  });
});
