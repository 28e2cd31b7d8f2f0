import { caiTokenAbi, disputesAbi, faucetAbi, paymentEscrowAbi, stakingAbi } from "@roost/protocol";
import {
  type Abi,
  BaseError,
  ChainMismatchError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Hex,
  HttpRequestError,
  InsufficientFundsError,
  isHex,
  NonceTooLowError,
  SocketClosedError,
  TimeoutError,
  UserRejectedRequestError,
  WaitForTransactionReceiptTimeoutError,
  WebSocketRequestError,
} from "viem";
import { ERROR_MESSAGES, type Explain, type ExplainContext } from "./error-messages.js";

export {
  ERROR_MESSAGES,
  type Explain,
  type ExplainContext,
  PROPOSAL_STATUS_NAMES,
  type RoostErrorName,
} from "./error-messages.js";

/** Options of a RoostError; each is set on the error only when given. */
export interface RoostErrorOptions {
  /** The Solidity error name ("InsufficientStake") or a category ("RpcUnreachable"). */
  errorName?: string;
  /** The decoded arguments of a contract error, in ABI order. */
  args?: readonly unknown[];
  /** The original error. */
  cause?: unknown;
}

/** A failure explained in one sentence a person understands; `cause` keeps the original error. */
export class RoostError extends Error {
  override name = "RoostError";
  /**
   * The Solidity error name, or one of the categories "RpcUnreachable", "InsufficientFundsForGas",
   * "NonceTooLow", "UserRejected", "Timeout", "ChainMismatch"; undefined when not recognized.
   */
  readonly errorName?: string;
  /** The decoded arguments of a contract error. */
  readonly args?: readonly unknown[];

  constructor(message: string, options: RoostErrorOptions = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    if (options.errorName !== undefined) this.errorName = options.errorName;
    if (options.args !== undefined) this.args = options.args;
  }
}

/** Hints a caller may give to make a message more precise. */
export interface ErrorContext {
  /** The role of the node the action is about: "the miner minimum of 20,000 CAI". */
  role?: "miner" | "coordinator";
  /** The amount of CAI the action moves, for errors that do not carry it. */
  amount?: bigint;
  /** The current time in unix seconds (default: the clock), to count time left. */
  now?: number;
  /** The RPC URL in use, for network errors that do not carry it. */
  rpcUrl?: string;
}

/** Every error of the Roost ABIs, to decode raw revert data from any of the contracts. */
const ROOST_ERRORS_ABI: Abi = dedupe(
  [...caiTokenAbi, ...faucetAbi, ...stakingAbi, ...paymentEscrowAbi, ...disputesAbi].filter(
    (item) => item.type === "error",
  ),
);

function dedupe(items: Abi): Abi {
  const seen = new Map<string, Abi[number]>();
  for (const item of items) {
    const key = item.type === "error" ? `${item.name}(${item.inputs.map((i) => i.type).join(",")})` : "";
    if (!seen.has(key)) seen.set(key, item);
  }
  return [...seen.values()];
}

/**
 * Explains any failure of a chain call: a contract revert (decoded from viem errors or from raw
 * revert data against all Roost ABIs), a network, wallet or nonce problem, or, when it is none of
 * these, the error's own short message.
 */
export function explainError(error: unknown, context: ErrorContext = {}): RoostError {
  if (error instanceof RoostError) return error;
  const links = causeChain(error);
  const explained: ExplainContext = { ...context, now: context.now ?? Date.now() / 1000 };

  const revert = findRevert(links);
  if (revert) {
    const explain = lookup(revert.errorName);
    const message = explain
      ? explain(revert.args, explained)
      : `the contract reverted with ${revert.errorName}(${revert.args.map(String).join(", ")})`;
    return new RoostError(message, { errorName: revert.errorName, args: revert.args, cause: error });
  }
  const unknownSelector = links.map(unknownSignature).find((signature) => signature !== undefined);
  if (unknownSelector) {
    return new RoostError(
      `the contract reverted with an error unknown to Roost (selector ${unknownSelector})`,
      {
        cause: error,
      },
    );
  }
  for (const category of CATEGORIES) {
    if (links.some(category.matches)) {
      return new RoostError(category.message(links, context), {
        errorName: category.errorName,
        cause: error,
      });
    }
  }
  return new RoostError(shortMessage(error), { cause: error });
}

function lookup(errorName: string): Explain | undefined {
  return Object.hasOwn(ERROR_MESSAGES, errorName)
    ? ERROR_MESSAGES[errorName as keyof typeof ERROR_MESSAGES]
    : undefined;
}

/** The error and its causes, outermost first (viem's BaseError.walk order), cycles cut. */
function causeChain(error: unknown): readonly unknown[] {
  const links: unknown[] = [];
  for (let link = error; link !== undefined && link !== null && !links.includes(link); ) {
    links.push(link);
    link = typeof link === "object" && "cause" in link ? link.cause : undefined;
  }
  return links;
}

interface Revert {
  errorName: string;
  args: readonly unknown[];
}

function findRevert(links: readonly unknown[]): Revert | undefined {
  for (const link of links) {
    if (link instanceof ContractFunctionRevertedError) {
      if (link.data?.errorName) return { errorName: link.data.errorName, args: link.data.args ?? [] };
      const decoded = link.raw ? decodeRevert(link.raw) : undefined;
      if (decoded) return decoded;
      if (link.reason) return { errorName: "Error", args: [link.reason] };
      continue;
    }
    const data = revertData(link);
    const decoded = data ? decodeRevert(data) : undefined;
    if (decoded) return decoded;
  }
  return undefined;
}

/** Decodes revert data against every Roost error (and Error(string), Panic(uint256)). */
function decodeRevert(data: Hex): Revert | undefined {
  try {
    const { errorName, args } = decodeErrorResult({ abi: ROOST_ERRORS_ABI, data });
    return { errorName, args: args ?? [] };
  } catch {
    return undefined;
  }
}

/** Raw revert data on an error: `data: "0x…"` (RPC errors) or `data: { data: "0x…" }`. */
function revertData(link: unknown): Hex | undefined {
  if (typeof link !== "object" || link === null || !("data" in link)) return undefined;
  const { data } = link;
  if (typeof data === "string") return isHex(data) && data.length >= 10 ? data : undefined;
  if (typeof data === "object" && data !== null && "data" in data) return revertData(data);
  return undefined;
}

function unknownSignature(link: unknown): Hex | undefined {
  if (link instanceof ContractFunctionRevertedError && link.signature) return link.signature;
  const data = link instanceof ContractFunctionRevertedError ? link.raw : revertData(link);
  return data && data.length >= 10 && !decodeRevert(data) ? `0x${data.slice(2, 10)}` : undefined;
}

interface Category {
  errorName: string;
  matches: (link: unknown) => boolean;
  message: (links: readonly unknown[], context: ErrorContext) => string;
}

const CATEGORIES: readonly Category[] = [
  {
    errorName: "UserRejected",
    matches: (link) => link instanceof UserRejectedRequestError || codeOf(link) === 4001,
    message: () => "the request was rejected in the wallet",
  },
  {
    errorName: "ChainMismatch",
    matches: (link) =>
      link instanceof ChainMismatchError || /chain ?id mismatch|invalid chain ?id/i.test(textOf(link)),
    message: (links) => {
      const ids = links.map((link) => /\(id: (\d+)\).*\(id: (\d+)/.exec(textOf(link))).find(Boolean);
      return ids
        ? `the wallet is on chain ${ids[1]} but the transaction is for chain ${ids[2]}; switch the wallet's network`
        : "the wallet or RPC is on a different chain than the transaction; switch to the right network";
    },
  },
  {
    errorName: "InsufficientFundsForGas",
    matches: (link) => link instanceof InsufficientFundsError || /insufficient funds/i.test(textOf(link)),
    message: () =>
      "the account does not have enough of the chain's native token to pay for gas; fund it and try again",
  },
  {
    errorName: "NonceTooLow",
    matches: (link) =>
      link instanceof NonceTooLowError ||
      /nonce too low|replacement transaction underpriced|already known/i.test(textOf(link)),
    message: () =>
      "another transaction from this account already uses this nonce (nonce too low or replacement underpriced); wait for pending transactions to confirm and try again",
  },
  {
    errorName: "Timeout",
    matches: (link) =>
      link instanceof TimeoutError ||
      link instanceof WaitForTransactionReceiptTimeoutError ||
      /timed out|timeout/i.test(textOf(link)),
    message: (links, context) =>
      links.some((link) => link instanceof WaitForTransactionReceiptTimeoutError)
        ? "timed out waiting for the transaction to be confirmed; it may still be mined, so check it before sending it again"
        : `the chain RPC${at(links, context)} did not answer in time; try again or use another RPC`,
  },
  {
    errorName: "RpcUnreachable",
    matches: (link) =>
      link instanceof HttpRequestError ||
      link instanceof WebSocketRequestError ||
      link instanceof SocketClosedError ||
      /fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|socket hang up/.test(
        `${textOf(link)} ${String(codeOf(link) ?? "")}`,
      ),
    message: (links, context) => {
      const status = links.find((link) => link instanceof HttpRequestError && link.status);
      const http = status instanceof HttpRequestError ? ` (HTTP ${status.status})` : "";
      return `cannot reach the chain RPC${at(links, context)}${http}; check that the node is running and the URL is right`;
    },
  },
];

/** " at <origin>" from the error or the context, or "". */
function at(links: readonly unknown[], context: ErrorContext): string {
  const url =
    links
      .map((link) => (typeof link === "object" && link && "url" in link ? link.url : undefined))
      .find((value): value is string => typeof value === "string") ?? context.rpcUrl;
  if (!url) return "";
  try {
    // The origin only: providers put API keys in the path (/v2/<key>) and the query.
    return ` at ${new URL(url).origin}`;
  } catch {
    return "";
  }
}

function codeOf(link: unknown): unknown {
  return typeof link === "object" && link !== null && "code" in link ? link.code : undefined;
}

/** The text to match on: viem's short message and details, or an error's message. */
function textOf(link: unknown): string {
  if (link instanceof BaseError) return `${link.shortMessage}\n${link.details}`;
  if (typeof link === "string") return link;
  if (typeof link === "object" && link !== null && "message" in link && typeof link.message === "string") {
    return link.message;
  }
  return "";
}

function shortMessage(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  return textOf(error) || String(error);
}
