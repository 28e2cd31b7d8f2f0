import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";
import { App } from "./app/App";
import { PortalConfigProvider } from "./app/portal-config";
import { loadConfig } from "./config";
import { I18nProvider } from "./i18n/i18n";
import "./styles.css";
import { wagmiConfig } from "./wallet/wagmi-config";

const root = createRoot(document.getElementById("root") as HTMLElement);
loadConfig().then(
  (config) => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1 } } });
    root.render(
      <StrictMode>
        <PortalConfigProvider config={config}>
          <WagmiProvider config={wagmiConfig(config)}>
            <QueryClientProvider client={queryClient}>
              <I18nProvider>
                <App />
              </I18nProvider>
            </QueryClientProvider>
          </WagmiProvider>
        </PortalConfigProvider>
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.render(<p role="alert">The portal could not load its network: {String(error)}</p>);
  },
);
