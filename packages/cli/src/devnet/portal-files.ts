import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize, sep } from "node:path";

// The staking portal's built files (packages/portal/dist), served by `roost devnet`. Looked up through
// the workspace package, so it works from any working directory.

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
  ".ico": "image/x-icon",
};

/** Where the built portal is, or undefined if it was not built (`npm run build`). */
export function portalDist(): string | undefined {
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve("@roost/portal/package.json")), "dist");
    return existsSync(join(dir, "index.html")) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The file for a URL path under `root` (index.html for "/"), refusing anything outside it. */
export function portalFile(
  root: string,
  urlPath: string,
): { body: Buffer; type: string; immutable: boolean } | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const relative = normalize(decoded === "/" ? "/index.html" : decoded).replace(/^([/\\])+/, "");
  const path = join(root, relative);
  if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) return undefined;
  return {
    body: readFileSync(path),
    type: TYPES[extname(path)] ?? "application/octet-stream",
    // Vite names built assets by their content hash: they never change.
    immutable: relative.startsWith(`assets${sep}`),
  };
}
