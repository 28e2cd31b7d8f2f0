import { useConnect, useConnection, useConnectors, useDisconnect, useSwitchChain } from "wagmi";
import { usePortalConfig } from "../app/portal-config";
import { useCaiBalance } from "../chain/reads";
import { formatCai } from "../format/amounts";
import { useI18n } from "../i18n/i18n";

/** Connect (an injected wallet, or on the devnet a demo account), the account and its CAI, network switch. */
export function WalletBar() {
  const { t, locale } = useI18n();
  const config = usePortalConfig();
  const connection = useConnection();
  const connectors = useConnectors();
  const { mutate: connect } = useConnect();
  const { mutate: disconnect } = useDisconnect();
  const { mutate: switchChain } = useSwitchChain();
  const balance = useCaiBalance(connection.address);

  if (connection.status !== "connected") {
    return (
      <label className="wallet">
        {t("wallet.connect")}{" "}
        <select
          value=""
          aria-label={t("wallet.connect")}
          onChange={(event) => {
            const connector = connectors.find((c) => c.uid === event.target.value);
            if (connector !== undefined) connect({ connector });
          }}
        >
          <option value="" disabled>
            …
          </option>
          {connectors.map((c) => (
            <option key={c.uid} value={c.uid}>
              {c.type === "injected" ? t("wallet.injected") : c.name}
            </option>
          ))}
        </select>
        {(config.demoAccounts?.length ?? 0) > 0 && <small className="dev-note"> {t("wallet.dev")}</small>}
      </label>
    );
  }
  const wrongNetwork = connection.chainId !== config.chainId;
  return (
    <div className="wallet" data-testid="wallet">
      <span>
        {t("wallet.account")}: <code data-testid="account">{connection.address}</code>
      </span>{" "}
      <span>
        {t("balance")}:{" "}
        <strong data-testid="balance">
          {balance.data === undefined ? "…" : formatCai(balance.data, locale)}
        </strong>{" "}
        CAI
      </span>{" "}
      {wrongNetwork && (
        <span role="alert">
          {t("wallet.wrongNetwork")}{" "}
          <button type="button" onClick={() => switchChain({ chainId: config.chainId })}>
            {t("wallet.switch")}
          </button>
        </span>
      )}
      <button type="button" onClick={() => disconnect()}>
        {t("wallet.disconnect")}
      </button>
    </div>
  );
}
