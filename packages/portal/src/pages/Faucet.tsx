import { faucetAbi } from "@roost/protocol/abis";
import { useState } from "react";
import { useConnection } from "wagmi";
import { usePortalConfig } from "../app/portal-config";
import { useFaucet } from "../chain/reads";
import { TxStatus } from "../components/TxStatus";
import { formatCai } from "../format/amounts";
import { formatCountdown } from "../format/time";
import { useI18n } from "../i18n/i18n";
import { useTransaction } from "../tx/use-transaction";

/** Claim testnet CAI: with the wallet's gas, or through the devnet's gasless drip service. */
export function FaucetPage() {
  const { t, locale } = useI18n();
  const config = usePortalConfig();
  const { address } = useConnection();
  const faucet = useFaucet(address);
  const tx = useTransaction();
  const [drip, setDrip] = useState<string>("");

  if (faucet.data === undefined) return <p>{t("loading")}</p>;
  const { amount, cooldown, nextClaimAt, now } = faucet.data;
  const wait = Number(nextClaimAt - now);
  const claimDrip = async () => {
    setDrip(t("tx.pending"));
    const response = await fetch(config.dripUrl as string, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address }),
    });
    const body = (await response.json()) as { error?: { message: string }; transactionHash?: string };
    setDrip(
      response.ok
        ? t("tx.confirmed", { block: body.transactionHash ?? "" })
        : t("tx.reverted", { reason: body.error?.message ?? "" }),
    );
    await faucet.refetch();
  };
  return (
    <section aria-labelledby="faucet-title">
      <h2 id="faucet-title">{t("faucet.title")}</h2>
      <p>{t("faucet.explain", { amount: formatCai(amount, locale), cooldown: formatCountdown(cooldown) })}</p>
      {address === undefined ? (
        <p>{t("wallet.none")}</p>
      ) : (
        <>
          <p data-testid="faucet-next">
            {wait > 0 ? t("faucet.next", { time: formatCountdown(wait) }) : t("faucet.ready")}
          </p>
          <button
            type="button"
            disabled={wait > 0 || tx.state.status === "signing" || tx.state.status === "pending"}
            onClick={() =>
              tx.run([{ address: config.contracts.Faucet, abi: faucetAbi, functionName: "claim" }])
            }
          >
            {t("faucet.claim")}
          </button>{" "}
          {config.dripUrl !== undefined && (
            <button type="button" disabled={wait > 0} onClick={() => void claimDrip()}>
              {t("faucet.drip")}
            </button>
          )}
          <TxStatus state={tx.state} />
          {drip !== "" && (
            <p role="status" data-testid="drip-status">
              {drip}
            </p>
          )}
        </>
      )}
    </section>
  );
}
