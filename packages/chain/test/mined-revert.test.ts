// Why a mined transaction reverted, on a real devnet: out of gas, or the contract's reason replayed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mnemonicToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/testing/ports.js";
import { createRoostClients } from "../src/clients.js";
import { roostContracts } from "../src/contracts.js";
import { DEVNET_MNEMONIC, type Devnet, startDevnet } from "../src/devnet.js";
import { whyReverted } from "../src/mined-revert.js";

const home = mkdtempSync(join(tmpdir(), "roost-mined-revert-"));
let devnet: Devnet;
beforeAll(async () => {
  devnet = await startDevnet({ home, port: await freePort() });
}, 30_000);
afterAll(async () => {
  await devnet?.stop();
  rmSync(home, { recursive: true, force: true });
});

function as(index: number) {
  const account = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index });
  const { publicClient, walletClient } = createRoostClients({
    chainId: devnet.file.chainId,
    rpcUrls: [devnet.rpcUrl],
    account,
  });
  return { account, publicClient, contracts: roostContracts(devnet.file, publicClient, walletClient) };
}

describe("whyReverted", () => {
  it("says a transaction ran out of gas when it used its whole limit", async () => {
    const { publicClient, contracts } = as(7);
    // An explicit limit skips the estimate: too little for a stake, so it is mined and reverts.
    const hash = await contracts.token.write.approve([devnet.file.contracts.Staking, 1n], { gas: 30_000n });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("reverted");
    expect(await whyReverted(publicClient, receipt)).toBe("it ran out of gas (limit 30,000)");
  });

  it("gives the contract's reason, replayed before the block", async () => {
    const { publicClient, contracts, account } = as(7);
    const hash = await contracts.staking.write.unjail([account.address], { gas: 200_000n });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("reverted");
    expect(await whyReverted(publicClient, receipt)).toMatch(/^no node was ever registered with operator 0x/);
  });
});
