import { Status } from "@roost/chain";
import type { DevnetNetwork } from "./network.js";

/** What the devnet's live status line shows. */
export interface DevnetStatus {
  minersOnline: number;
  miners: number;
  tasksServed: number;
  checksPassed: number;
  checksFailed: number;
  jailed: number;
  block: number;
}

export function devnetStatus(network: DevnetNetwork): DevnetStatus {
  const { services, registry } = network.coordinator;
  const checks = services.spotChecks.counts();
  return {
    minersOnline: services.dispatcher.presence.online().filter((m) => registry.eligible(m.operator)).length,
    miners: network.miners.length,
    tasksServed: services.tasks.countsByStatus().completed,
    checksPassed: checks.passed,
    checksFailed: checks.failed,
    jailed: registry.miners().filter((m) => m.status === Status.Jailed).length,
    block: registry.status().lastSyncedBlock,
  };
}

export function formatStatus(status: DevnetStatus): string {
  return [
    `miners online ${status.minersOnline}/${status.miners}`,
    `tasks served ${status.tasksServed}`,
    `spot checks ${status.checksPassed} passed, ${status.checksFailed} failed`,
    ...(status.jailed > 0 ? [`${status.jailed} jailed`] : []),
    `block ${status.block}`,
  ].join(" · ");
}
