import { createContext, type ReactNode, useContext } from "react";
import type { PortalConfig } from "../config";

const Context = createContext<PortalConfig | undefined>(undefined);

export function PortalConfigProvider({ config, children }: { config: PortalConfig; children: ReactNode }) {
  return <Context.Provider value={config}>{children}</Context.Provider>;
}

/** The network this portal talks to (loaded once at start). */
export function usePortalConfig(): PortalConfig {
  const config = useContext(Context);
  if (config === undefined) throw new Error("usePortalConfig outside PortalConfigProvider");
  return config;
}
