import { ERROR_MESSAGES } from "@roost/chain/error-messages";
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";

/**
 * Why a transaction was refused, in words: the contract's custom error explained as the CLI explains
 * it ("claimed from the faucet too recently; it can claim again at ..."), a rejection in the wallet,
 * or the error's own short message.
 */
export function explainTxError(error: unknown, nowSeconds = Date.now() / 1000): string {
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError) !== null)
      return "you rejected it in your wallet";
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.data?.errorName !== undefined) {
      const name = revert.data.errorName as keyof typeof ERROR_MESSAGES;
      const explain = ERROR_MESSAGES[name];
      const args = (revert.data.args ?? []) as readonly unknown[];
      return explain === undefined
        ? `${String(name)}(${args.map(String).join(", ")})`
        : explain(args, { now: nowSeconds });
    }
    return error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}
