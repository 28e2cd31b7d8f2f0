// Reads a V8 CPU profile (node --cpu-prof) and tells where the CPU went: the functions with the most
// self time, and the most inclusive time of functions under the repository's packages (what a request
// spends in each step), as shares of the busy samples. Samples are counted rather than weighted by their
// time deltas: on a shared machine a process descheduled mid-call (after waking its peer with a
// socket write, say) gets one late sample with a long delta, which would charge the wait to that call.
// Usage: node --import tsx bench/coordinator/profile.ts <file.cpuprofile> [top]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FrameShare {
  frame: string;
  /** Share of the busy (not idle) samples. */
  share: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, "").replace(/^.*\/(node_modules|packages)\//, "$1/");
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
}

/** Self and inclusive shares per frame (inclusive counted once per sample, so recursion is fine). */
export function summarize(
  profile: Profile,
  top: number,
): { busy: number; samples: number; self: FrameShare[]; inclusive: FrameShare[] } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const node = byId.get(id) as ProfileNode;
    if (node.callFrame.functionName === "(idle)") continue;
    busy++;
    self.set(frameName(node), (self.get(frameName(node)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at) as ProfileNode);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
    }
  }
  const rank = (map: Map<string, number>, keep: (frame: string) => boolean) =>
    [...map.entries()]
      .filter(([frame]) => keep(frame))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, count]) => ({ frame, share: count / busy }));
  return {
    busy,
    samples: profile.samples.length,
    self: rank(self, () => true),
    inclusive: rank(inclusive, (frame) => frame.includes("packages/")),
  };
}

if (process.argv[1]?.endsWith("profile.ts")) {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: profile.ts <file.cpuprofile> [top]");
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const { busy, samples, self, inclusive } = summarize(profile, Number(process.argv[3] ?? 25));
  const line = (f: FrameShare) => `${(f.share * 100).toFixed(1).padStart(5)}%  ${f.frame}`;
  console.log(`${busy} busy of ${samples} samples\n\nself:\n${self.map(line).join("\n")}`);
  console.log(`\ninclusive (packages/):\n${inclusive.map(line).join("\n")}`);
}
