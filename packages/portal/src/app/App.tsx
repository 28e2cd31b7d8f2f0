import { useEffect, useState } from "react";
import { LanguagePicker, useI18n } from "../i18n/i18n";
import type { MessageKey } from "../i18n/messages";
import { DisputesPage } from "../pages/Disputes";
import { FaucetPage } from "../pages/Faucet";
import { NetworkPage } from "../pages/Network";
import { PlaygroundPage } from "../pages/Playground";
import { RegisterPage } from "../pages/Register";
import { RewardsPage } from "../pages/Rewards";
import { StakePage } from "../pages/Stake";
import { WalletBar } from "../wallet/WalletBar";

// Pages by URL hash (#/stake, #/faucet, ...): static files need no server routes.

const PAGES = {
  stake: { label: "nav.stake", page: StakePage },
  faucet: { label: "nav.faucet", page: FaucetPage },
  rewards: { label: "nav.rewards", page: RewardsPage },
  register: { label: "nav.register", page: RegisterPage },
  network: { label: "nav.network", page: NetworkPage },
  playground: { label: "nav.playground", page: PlaygroundPage },
  disputes: { label: "nav.disputes", page: DisputesPage },
} as const satisfies Record<string, { label: MessageKey; page: () => unknown }>;
type PageName = keyof typeof PAGES;

const fromHash = (): PageName => {
  const name = window.location.hash.replace(/^#\/?/, "");
  return name in PAGES ? (name as PageName) : "stake";
};

export function App() {
  const { t } = useI18n();
  const [page, setPage] = useState<PageName>(fromHash);
  useEffect(() => {
    const onHash = () => setPage(fromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const Page = PAGES[page].page;
  return (
    <>
      <header>
        <h1>Roost</h1>
        <nav aria-label="main">
          {Object.entries(PAGES).map(([name, { label }]) => (
            <a key={name} href={`#/${name}`} aria-current={name === page ? "page" : undefined}>
              {t(label)}
            </a>
          ))}
        </nav>
        <LanguagePicker />
        <WalletBar />
      </header>
      <main>
        <Page />
      </main>
    </>
  );
}
