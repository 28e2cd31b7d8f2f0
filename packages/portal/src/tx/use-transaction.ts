import { padGasEstimate } from "@roost/chain/gas-margin";
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import type { Abi, Address, Hash, WalletClient } from "viem";
import { usePublicClient, useWalletClient } from "wagmi";
import { explainTxError } from "./explain";

// A transaction as the user lives it: waiting for their signature, sent and waiting for its block,
// confirmed, or refused with the contract's reason in words. Each call's gas is estimated first (with
// @roost/chain's margin), so a call that would revert is refused before the wallet is asked to sign it.

export interface ContractCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
}

export type TxState =
  | { status: "idle" }
  | { status: "signing"; step: number; steps: number }
  | { status: "pending"; hash: Hash; step: number; steps: number }
  | { status: "confirmed"; hash: Hash; block: bigint }
  | { status: "reverted"; reason: string };

export function useTransaction() {
  const [state, setState] = useState<TxState>({ status: "idle" });
  const { data: walletClient } = useWalletClient();
  const publicClient = usePublicClient();
  const queryClient = useQueryClient();

  /**
   * Runs `calls` in order, or the calls `prepare` makes after the wallet signed what they need (a
   * permit): each is estimated, signed, sent and waited for.
   */
  const run = useCallback(
    async (
      work: readonly ContractCall[] | ((wallet: WalletClient) => Promise<readonly ContractCall[]>),
    ): Promise<boolean> => {
      if (walletClient === undefined || publicClient === undefined) {
        setState({ status: "reverted", reason: "connect a wallet first" });
        return false;
      }
      try {
        if (typeof work === "function") setState({ status: "signing", step: 1, steps: 1 });
        const calls = typeof work === "function" ? await work(walletClient) : work;
        let last: { hash: Hash; block: bigint } | undefined;
        for (const [i, call] of calls.entries()) {
          const steps = calls.length;
          setState({ status: "signing", step: i + 1, steps });
          // The estimate doubles as the simulation: a call that would revert throws here, decoded.
          const request = { ...call, account: walletClient.account } as never;
          const estimate = await publicClient.estimateContractGas(request);
          const hash = await walletClient.writeContract({
            ...(request as object),
            gas: padGasEstimate(estimate),
          } as never);
          setState({ status: "pending", hash, step: i + 1, steps });
          const receipt = await publicClient.waitForTransactionReceipt({ hash });
          if (receipt.status !== "success") {
            setState({ status: "reverted", reason: `transaction ${hash} reverted` });
            return false;
          }
          last = { hash, block: receipt.blockNumber };
        }
        if (last !== undefined) setState({ status: "confirmed", ...last });
        await queryClient.invalidateQueries();
        return true;
      } catch (error) {
        const block = await publicClient.getBlock().catch(() => undefined);
        setState({
          status: "reverted",
          reason: explainTxError(error, Number(block?.timestamp ?? Date.now() / 1000)),
        });
        return false;
      }
    },
    [walletClient, publicClient, queryClient],
  );
  return { state, run, reset: () => setState({ status: "idle" }) };
}
