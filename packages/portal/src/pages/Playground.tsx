import { useState } from "react";
import { usePortalConfig } from "../app/portal-config";
import { useI18n } from "../i18n/i18n";
import { type PlaygroundResult, runPrompt } from "./playground-request";

/** Send a prompt through a coordinator with an app API key, and see the answer and which miner served it. */
export function PlaygroundPage() {
  const { t } = useI18n();
  const config = usePortalConfig();
  const [form, setForm] = useState({
    coordinator: config.coordinatorUrl ?? "",
    apiKey: "",
    kind: "image" as "image" | "chat",
    prompt: "",
  });
  const [result, setResult] = useState<PlaygroundResult | { error: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    setResult(await runPrompt(form).catch((error: unknown) => ({ error: String(error) })));
    setBusy(false);
  };
  return (
    <section aria-labelledby="playground-title">
      <h2 id="playground-title">{t("playground.title")}</h2>
      <form
        className="panel"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <label>
          {t("playground.coordinator")}{" "}
          <input
            value={form.coordinator}
            onChange={(e) => setForm({ ...form, coordinator: e.target.value })}
          />
        </label>
        <label>
          {t("playground.apiKey")}{" "}
          <input
            type="password"
            value={form.apiKey}
            autoComplete="off"
            onChange={(e) => setForm({ ...form, apiKey: e.target.value })}
          />
        </label>
        <label>
          {t("playground.kind")}{" "}
          <select
            value={form.kind}
            onChange={(e) => setForm({ ...form, kind: e.target.value as "image" | "chat" })}
          >
            <option value="image">{t("playground.image")}</option>
            <option value="chat">{t("playground.chat")}</option>
          </select>
        </label>
        <label>
          {t("playground.prompt")}{" "}
          <input value={form.prompt} onChange={(e) => setForm({ ...form, prompt: e.target.value })} />
        </label>
        <button type="submit" disabled={busy || form.prompt.trim() === "" || form.apiKey === ""}>
          {t("playground.send")}
        </button>
      </form>
      <div role="status" aria-live="polite" data-testid="playground-result">
        {busy && t("loading")}
        {result !== undefined && "error" in result && <p className="error">{result.error}</p>}
        {result !== undefined && "miner" in result && (
          <>
            <p>
              {t("playground.servedBy")} <code data-testid="served-by">{result.miner}</code>
            </p>
            {result.image !== undefined && (
              <img src={result.image} alt={form.prompt} width={256} height={256} />
            )}
            {result.text !== undefined && <blockquote>{result.text}</blockquote>}
          </>
        )}
      </div>
    </section>
  );
}
