// What the miner reports of its machine: CPU and memory always, GPUs from nvidia-smi when it is there.
// No GPU here: a stand-in nvidia-smi on PATH prints what the real one prints for the same query.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hardwareReport } from "../src/hardware.js";

const path = process.env.PATH;
let dir: string | undefined;
afterEach(() => {
  process.env.PATH = path;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Puts an `nvidia-smi` printing `csv` first on PATH. */
function fakeNvidiaSmi(csv: string): void {
  dir = mkdtempSync(join(tmpdir(), "roost-smi-"));
  const script = join(dir, "nvidia-smi");
  writeFileSync(script, `#!/bin/sh\n[ "$1" = "--query-gpu=name,memory.total" ] || exit 9\nprintf '${csv}'\n`);
  chmodSync(script, 0o755);
  process.env.PATH = `${dir}:${path}`;
}

describe("hardware report", () => {
  it("names the CPU, its cores and the memory when there is no NVIDIA driver", async () => {
    process.env.PATH = "/nonexistent";
    const report = await hardwareReport();
    expect(report).toEqual({
      cpu: cpus()[0]?.model.trim(),
      cpuCores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
    });
  });

  it("lists each GPU with its memory from nvidia-smi's CSV", async () => {
    fakeNvidiaSmi("NVIDIA GeForce RTX 4090, 24564\\nNVIDIA A100-SXM4-80GB, 81920\\n");
    const report = await hardwareReport();
    expect(report).toMatchObject({
      gpus: 2,
      gpu0: "NVIDIA GeForce RTX 4090",
      gpu0MemoryMiB: 24564,
      gpu1: "NVIDIA A100-SXM4-80GB",
      gpu1MemoryMiB: 81920,
      cpuCores: cpus().length,
    });
  });

  it("reports no GPU when nvidia-smi fails (a driver without a device)", async () => {
    fakeNvidiaSmi("");
    writeFileSync(join(dir as string, "nvidia-smi"), "#!/bin/sh\necho 'No devices were found' >&2\nexit 6\n");
    expect(await hardwareReport()).not.toHaveProperty("gpus");
  });
});
