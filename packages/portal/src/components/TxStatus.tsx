import { useI18n } from "../i18n/i18n";
import type { TxState } from "../tx/use-transaction";

/** A transaction's state, read out by screen readers as it changes. */
export function TxStatus({ state }: { state: TxState }) {
  const { t } = useI18n();
  const text = (() => {
    switch (state.status) {
      case "idle":
        return "";
      case "signing":
        return state.steps > 1
          ? `${t("tx.approving", { step: state.step, steps: state.steps })} ${t("tx.signing")}`
          : t("tx.signing");
      case "pending":
        return t("tx.pending");
      case "confirmed":
        return t("tx.confirmed", { block: state.block.toString() });
      case "reverted":
        return t("tx.reverted", { reason: state.reason });
    }
  })();
  return (
    <p className={`tx tx-${state.status}`} role="status" aria-live="polite" data-testid="tx-status">
      {text}
    </p>
  );
}
