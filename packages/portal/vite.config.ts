import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The portal is static files: `roost devnet` and `roost portal serve` serve dist/ with the network's
// description at /api/devnet. In `npm run dev -w packages/portal`, /api goes to a running devnet.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", sourcemap: false, target: "es2022", chunkSizeWarningLimit: 1024 },
  server: { host: "127.0.0.1", proxy: { "/api": "http://127.0.0.1:3000" } },
});
