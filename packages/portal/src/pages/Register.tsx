import { caiTokenAbi, stakingAbi } from "@roost/protocol/abis";
import { useState } from "react";
import { useConnection } from "wagmi";
import { usePortalConfig } from "../app/portal-config";
import { useCaiBalance, useRegistration } from "../chain/reads";
import { TxStatus } from "../components/TxStatus";
import { formatCai, parseAddress, parseCai, parseCommission } from "../format/amounts";
import { useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/messages";
import { useTransaction } from "../tx/use-transaction";
import { registrationProblem } from "./registration";

/**
 * Become a miner or a coordinator: the operator key consents first (approveOwner, signed by the
 * operator), then the owner registers with its self-stake (at least the minimum, checked here before
 * anything is signed).
 */
export function RegisterPage() {
  const { t, locale } = useI18n();
  const config = usePortalConfig();
  const { address } = useConnection();
  const balance = useCaiBalance(address);
  const [form, setForm] = useState({
    role: 0 as 0 | 1,
    operator: "",
    stake: "",
    commission: "10",
    intro: "",
    endpoint: "",
    owner: "",
  });
  const operator = parseAddress(form.operator);
  const registration = useRegistration(operator.ok ? operator.value : undefined, address);
  const tx = useTransaction();
  const consentTx = useTransaction();
  if (address === undefined) return <p>{t("wallet.none")}</p>;
  const min = registration.data?.minSelfStake[form.role] ?? 0n;
  const stake = parseCai(form.stake, balance.data);
  const commission = parseCommission(form.commission);
  const problem = registrationProblem({
    role: form.role,
    operator,
    stake,
    commission,
    endpoint: form.endpoint,
    min,
    registered: registration.data?.registered ?? false,
    consented: registration.data?.consented ?? false,
  });
  const ownerToApprove = parseAddress(form.owner);
  const set = (field: keyof typeof form) => (event: { target: { value: string } }) =>
    setForm({ ...form, [field]: event.target.value });
  const staking = { address: config.contracts.Staking, abi: stakingAbi } as const;
  return (
    <section aria-labelledby="register-title">
      <h2 id="register-title">{t("register.title")}</h2>
      <form className="panel" onSubmit={(e) => e.preventDefault()} aria-labelledby="consent-title">
        <h3 id="consent-title">{t("register.consent")}</h3>
        <p>{t("register.consentExplain")}</p>
        <label>
          {t("col.owner")} <input value={form.owner} onChange={set("owner")} />
        </label>{" "}
        <button
          type="button"
          disabled={!ownerToApprove.ok}
          onClick={() =>
            ownerToApprove.ok &&
            void consentTx.run([{ ...staking, functionName: "approveOwner", args: [ownerToApprove.value] }])
          }
        >
          {t("register.approveOwner")}
        </button>
        <TxStatus state={consentTx.state} />
      </form>
      <form className="panel" onSubmit={(e) => e.preventDefault()} aria-labelledby="register-form">
        <h3 id="register-form">{t("register.asOwner")}</h3>
        <label>
          {t("col.role")}{" "}
          <select
            value={form.role}
            onChange={(e) => setForm({ ...form, role: Number(e.target.value) as 0 | 1 })}
          >
            <option value={0}>{t("role.miner")}</option>
            <option value={1}>{t("role.coordinator")}</option>
          </select>
        </label>
        <label>
          {t("col.operator")} <input value={form.operator} onChange={set("operator")} />
        </label>
        {operator.ok && operator.value.toLowerCase() === address.toLowerCase() && (
          <p role="alert" className="warning">
            {t("register.sameKey")}
          </p>
        )}
        <label>
          {t("col.self")} <input value={form.stake} onChange={set("stake")} inputMode="decimal" />
        </label>
        <p>{t("register.minimum", { amount: formatCai(min, locale) })}</p>
        <label>
          {t("col.commission")} (%){" "}
          <input value={form.commission} onChange={set("commission")} inputMode="decimal" />
        </label>
        <label>
          {t("register.intro")} <input value={form.intro} onChange={set("intro")} />
        </label>
        {form.role === 1 && (
          <label>
            {t("register.endpoint")} <input value={form.endpoint} onChange={set("endpoint")} />
          </label>
        )}
        {stake.ok && (
          <p className="explain">{t("explain.register", { amount: formatCai(stake.value, locale) })}</p>
        )}
        <p className="error" role="status">
          {problem === undefined ? "" : t(problem as MessageKey, { amount: formatCai(min, locale) })}
        </p>
        <button
          type="button"
          disabled={problem !== undefined}
          onClick={() =>
            operator.ok &&
            stake.ok &&
            commission.ok &&
            void tx.run([
              {
                address: config.contracts.CAIToken,
                abi: caiTokenAbi,
                functionName: "approve",
                args: [config.contracts.Staking, stake.value],
              },
              {
                ...staking,
                functionName: "register",
                args: [
                  form.role,
                  operator.value,
                  stake.value,
                  commission.value,
                  form.intro,
                  form.role === 1 ? form.endpoint : "",
                ],
              },
            ])
          }
        >
          {t("register.submit")}
        </button>
        <TxStatus state={tx.state} />
      </form>
    </section>
  );
}
