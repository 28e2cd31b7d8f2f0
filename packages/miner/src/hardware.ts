import { execFile } from "node:child_process";
import { cpus, totalmem } from "node:os";

// What the miner tells coordinators about its machine with each poll (at most 32 flat properties).

/** GPUs from nvidia-smi when it is there, otherwise CPU and memory. */
export async function hardwareReport(): Promise<Record<string, string | number>> {
  const report: Record<string, string | number> = {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cpuCores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  const gpus = await nvidiaSmi();
  gpus.slice(0, 8).forEach((gpu, i) => {
    report[`gpu${i}`] = gpu.name;
    report[`gpu${i}MemoryMiB`] = gpu.memoryMiB;
  });
  if (gpus.length > 0) report.gpus = gpus.length;
  return report;
}

function nvidiaSmi(): Promise<{ name: string; memoryMiB: number }[]> {
  return new Promise((resolve) => {
    execFile(
      "nvidia-smi",
      ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
      { timeout: 5000 },
      (error, stdout) => {
        if (error !== null) return resolve([]); // no NVIDIA driver: a CPU machine
        resolve(
          stdout
            .trim()
            .split("\n")
            .filter((line) => line.includes(","))
            .map((line) => {
              const [name = "", memory = "0"] = line.split(",").map((part) => part.trim());
              return { name, memoryMiB: Number(memory) || 0 };
            }),
        );
      },
    );
  });
}
