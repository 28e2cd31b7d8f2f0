import type { RoostContracts } from "@roost/chain";
import { disputesAbi } from "@roost/protocol";
import { parseEventLogs } from "viem";
import type { SlashProposalStore } from "../store/slash-proposals.js";
import type { OutboxSource } from "./disputes-outbox.js";

/** The URL an evidence bundle is served at, by this coordinator's ops API. */
export function evidenceUri(baseUrl: string, evidenceHash: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/api/evidence/${evidenceHash}`;
}

/**
 * The pending slash proposals of `store`, as items of the node's DisputesOutbox: each calls
 * `proposeSlash(miner, taskId, bps, evidenceHash, evidenceURI)` and keeps the proposal id Disputes gives.
 */
export function slashProposals(
  store: SlashProposalStore,
  contracts: RoostContracts,
  evidenceBaseUrl: () => Promise<string>,
): OutboxSource {
  return {
    what: "slash proposal",
    pending: () =>
      store.pending().map((proposal) => ({
        fields: { miner: proposal.miner, taskId: proposal.taskId, evidence: proposal.evidenceHash },
        send: async () =>
          contracts.disputes.write.proposeSlash([
            proposal.miner,
            proposal.taskId,
            proposal.bps,
            proposal.evidenceHash,
            evidenceUri(await evidenceBaseUrl(), proposal.evidenceHash),
          ]),
        done: (receipt) => {
          const [event] = parseEventLogs({
            abi: disputesAbi,
            eventName: "SlashProposed",
            logs: receipt.logs,
          });
          if (event === undefined) {
            store.settle(proposal.taskId, {
              proposed: false,
              error: "no SlashProposed event in the receipt",
            });
            return;
          }
          store.settle(proposal.taskId, {
            proposed: true,
            proposalId: event.args.id,
            transactionHash: receipt.transactionHash,
          });
        },
        refused: (error) => store.settle(proposal.taskId, { proposed: false, error }),
        landed: {
          errorName: "AlreadyProposed",
          done: () =>
            store.settle(proposal.taskId, { proposed: true, proposalId: null, transactionHash: null }),
        },
      })),
  };
}
