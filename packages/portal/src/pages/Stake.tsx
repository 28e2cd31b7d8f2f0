import { caiTokenAbi, stakingAbi } from "@roost/protocol/abis";
import { useMemo, useState } from "react";
import { getAddress, type PublicClient } from "viem";
import { useConnection, usePublicClient } from "wagmi";
import { usePortalConfig } from "../app/portal-config";
import {
  type NodeRow,
  useCaiBalance,
  useCoordinatorNetwork,
  useNodes,
  useSlashCounts,
  useStakerPosition,
  useUnbondingPeriod,
} from "../chain/reads";
import { NodesTable } from "../components/NodesTable";
import { TxStatus } from "../components/TxStatus";
import { formatCai, parseCai } from "../format/amounts";
import { formatCountdown } from "../format/time";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/messages";
import { signPermit } from "../tx/permit";
import { useTransaction } from "../tx/use-transaction";

/** The nodes to vote for, staking and unstaking on one, and the unbonding locks with their countdowns. */
export function StakePage() {
  const { t } = useI18n();
  const nodes = useNodes();
  const network = useCoordinatorNetwork();
  const slashes = useSlashCounts();
  const [picked, setPicked] = useState<NodeRow | undefined>();
  const rows = useMemo(() => {
    const seen = new Map(network.data?.miners.map((m) => [m.operator.toLowerCase(), m]));
    return nodes.data?.map((node) => {
      const miner = seen.get(node.operator.toLowerCase());
      return {
        ...node,
        online: node.role === 0 && network.data !== undefined ? (miner?.online ?? false) : undefined,
        tasksServed: node.role === 0 && network.data !== undefined ? (miner?.tasksServed ?? 0) : undefined,
        slashes: slashes.data?.get(node.operator.toLowerCase()) ?? 0,
      };
    });
  }, [nodes.data, network.data, slashes.data]);
  return (
    <section aria-labelledby="stake-title">
      <h2 id="stake-title">{t("stake.title")}</h2>
      {nodes.error !== null && (
        <p role="alert" className="error">
          {nodes.error.message}
        </p>
      )}
      {rows === undefined ? <p>{t("loading")}</p> : <NodesTable nodes={rows} onPick={setPicked} />}
      {picked !== undefined && <StakePanel node={picked} />}
      <Locks />
    </section>
  );
}

function StakePanel({ node }: { node: NodeRow }) {
  const { t, locale } = useI18n();
  const config = usePortalConfig();
  const { address } = useConnection();
  const balance = useCaiBalance(address);
  const position = useStakerPosition(address);
  const tx = useTransaction();
  const client = usePublicClient();
  const unbonding = useUnbondingPeriod();
  const [amount, setAmount] = useState("");
  const mine =
    position.data?.positions.find((p) => p.operator.toLowerCase() === node.operator.toLowerCase())?.stake ??
    0n;
  const toStake = parseCai(amount, balance.data);
  const toUnstake = parseCai(amount, mine);
  const busy = tx.state.status === "signing" || tx.state.status === "pending";
  const staking = { address: config.contracts.Staking, abi: stakingAbi } as const;
  return (
    <form className="panel" aria-labelledby="stake-on" onSubmit={(event) => event.preventDefault()}>
      <h3 id="stake-on">{t("stake.on", { node: getAddress(node.operator) })}</h3>
      <p>
        {t("stake.yours")}: <strong data-testid="my-stake">{formatCai(mine, locale)}</strong> CAI
      </p>
      <label>
        {t("stake.amount")}{" "}
        <input
          name="amount"
          inputMode="decimal"
          value={amount}
          aria-invalid={amount !== "" && !toStake.ok && !toUnstake.ok}
          aria-describedby="amount-error"
          onChange={(event) => setAmount(event.target.value)}
        />
      </label>
      {toStake.ok && (
        <p className="explain" data-testid="explain">
          {t("explain.stake", { amount: formatCai(toStake.value, locale), node: getAddress(node.operator) })}{" "}
          {toUnstake.ok &&
            t("explain.unstake", {
              amount: formatCai(toUnstake.value, locale),
              period: formatCountdown(unbonding.data ?? 0n),
            })}
        </p>
      )}
      <p id="amount-error" className="error">
        {amount !== "" && !toStake.ok && !toUnstake.ok ? t(`error.${toStake.error}` as MessageKey) : ""}
      </p>
      <button
        type="button"
        disabled={address === undefined || !toStake.ok || busy}
        onClick={() =>
          toStake.ok &&
          void tx.run([
            {
              address: config.contracts.CAIToken,
              abi: caiTokenAbi,
              functionName: "approve",
              args: [config.contracts.Staking, toStake.value],
            },
            { ...staking, functionName: "stake", args: [node.operator, toStake.value] },
          ])
        }
      >
        {t("stake.submit")}
      </button>{" "}
      <button
        type="button"
        disabled={address === undefined || !toStake.ok || busy || client === undefined}
        onClick={() =>
          toStake.ok &&
          client !== undefined &&
          void tx.run(async (wallet) => {
            const permit = await signPermit(
              wallet,
              client as PublicClient,
              config.contracts.CAIToken,
              config.contracts.Staking,
              toStake.value,
            );
            return [
              {
                ...staking,
                functionName: "stakeWithPermit",
                args: [node.operator, toStake.value, permit.deadline, permit.v, permit.r, permit.s],
              },
            ];
          })
        }
      >
        {t("stake.permit")}
      </button>{" "}
      <button
        type="button"
        disabled={address === undefined || !toUnstake.ok || busy}
        onClick={() =>
          toUnstake.ok &&
          void tx.run([{ ...staking, functionName: "unstake", args: [node.operator, toUnstake.value] }])
        }
      >
        {t("unstake.submit")}
      </button>
      <TxStatus state={tx.state} />
    </form>
  );
}

function Locks() {
  const { t, locale } = useI18n();
  const config = usePortalConfig();
  const { address } = useConnection();
  const position = useStakerPosition(address);
  const tx = useTransaction();
  const locks = position.data?.locks.filter((lock) => !lock.withdrawn) ?? [];
  if (locks.length === 0) return null;
  const now = position.data?.now ?? 0n;
  const matured = locks.filter((lock) => BigInt(lock.unlockAt) <= now).map((lock) => lock.id);
  return (
    <section aria-labelledby="locks-title">
      <h3 id="locks-title">{t("locks.title")}</h3>
      <table data-testid="locks">
        <thead>
          <tr>
            <th>{t("col.operator")}</th>
            <th>{t("locks.amount")}</th>
            <th>{t("locks.ready")}</th>
          </tr>
        </thead>
        <tbody>
          {locks.map((lock) => (
            <tr key={lock.id.toString()}>
              <td>
                <code>{lock.operator}</code>
              </td>
              <td className="number">{formatCai(lock.amount, locale)}</td>
              <td>
                {BigInt(lock.unlockAt) <= now
                  ? t("locks.ready")
                  : t("locks.in", { time: formatCountdown(BigInt(lock.unlockAt) - now) })}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        disabled={matured.length === 0}
        onClick={() =>
          void tx.run([
            { address: config.contracts.Staking, abi: stakingAbi, functionName: "withdraw", args: [matured] },
          ])
        }
      >
        {t("withdraw.submit")}
      </button>
      <TxStatus state={tx.state} />
    </section>
  );
}
