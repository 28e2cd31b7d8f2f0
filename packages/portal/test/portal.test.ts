// The staking portal in Debian's Chromium (playwright-core) against the whole devnet (`roost devnet`
// in a child process): a newcomer with no ETH gets CAI from the gasless faucet, stakes on a miner,
// unstakes part, waits out the devnet's unbonding period and withdraws; languages, right-to-left
// Persian and keyboard use. Screenshots of each page go to packages/portal/test-results/.
/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../scripts/testing/chromium.js";
import { roost } from "../../cli/test/helpers.js";
import { type Cli, spawnDevnet } from "../../cli/test/spawn-cli.js";

const SHOTS = fileURLToPath(new URL("../test-results/", import.meta.url));
const NEWCOMER = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"; // demo account #8: no CAI, no need for ETH
const MINER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"; // the devnet's miner 1

let root: string;
let devnet: Cli;
let browser: Browser;
let page: Page;
let web: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "roost-portal-"));
  mkdirSync(SHOTS, { recursive: true });
  ({ cli: devnet } = await spawnDevnet(join(root, ".roost")));
  web = (JSON.parse(readFileSync(join(root, ".roost", "devnet.json"), "utf8")) as { web: string }).web;
  browser = await launchChromium();
  page = await browser.newPage({ locale: "en-US" });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (devnet !== undefined) {
    devnet.child.kill("SIGINT");
    await devnet.exited;
  }
  rmSync(root, { recursive: true, force: true });
});

/** Waits for a transaction status with `text`; on a timeout, says what the statuses read instead. */
async function status(text: string | RegExp): Promise<void> {
  try {
    await page.getByTestId("tx-status").filter({ hasText: text }).first().waitFor({ timeout: 20_000 });
  } catch (error) {
    const shown = await page.getByTestId("tx-status").allTextContents();
    throw new Error(`no transaction status "${String(text)}"; the page shows ${JSON.stringify(shown)}`, {
      cause: error,
    });
  }
}

describe("the staking portal", { timeout: 120_000 }, () => {
  it("takes a newcomer from the gasless faucet to a stake, an unstake and a withdrawal", async () => {
    await page.goto(`${web}/#/faucet`);
    await page
      .getByLabel("Connect a wallet")
      .selectOption({ label: "Dev wallet #8: staker without CAI (uses the faucet)" });
    await page.getByTestId("account").filter({ hasText: NEWCOMER }).waitFor();
    await page.getByTestId("balance").filter({ hasText: /^0$/ }).waitFor();
    await page.screenshot({ path: join(SHOTS, "faucet.png"), fullPage: true });

    await page.getByRole("button", { name: "Claim without gas (drip service)" }).click();
    await page.getByTestId("drip-status").filter({ hasText: "Confirmed" }).waitFor({ timeout: 20_000 });
    await page.getByTestId("balance").filter({ hasText: "25,000" }).waitFor({ timeout: 10_000 });
    // The cooldown runs: no claim is offered until it opens.
    await page.getByTestId("faucet-next").filter({ hasText: "Next claim opens in" }).waitFor();
    expect(await page.getByRole("button", { name: "Claim CAI" }).isDisabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Claim without gas (drip service)" }).isDisabled()).toBe(
      true,
    );

    await page.getByRole("link", { name: "Stake & vote" }).click();
    // The coordinator's view joins the chain's: the devnet's miners poll it, so they show online.
    await page
      .getByTestId("nodes")
      .getByRole("row")
      .filter({ hasText: MINER })
      .filter({ hasText: "online" })
      .waitFor();
    await page.getByTestId("nodes").getByRole("button", { name: MINER }).click();
    const amount = page.getByLabel("Amount (CAI)");
    await amount.fill("30k");
    expect(await page.getByText("That is more than you have.").count()).toBe(1);
    expect(await page.getByRole("button", { name: "Approve and stake" }).isDisabled()).toBe(true);
    await amount.fill("5k");
    // What will be signed is said before anything is.
    expect(await page.getByTestId("explain").textContent()).toContain(
      `Approve and stake asks for two signatures: Staking may take 5,000 CAI, then it stakes them on ${MINER}.`,
    );
    await page.getByRole("button", { name: "Approve and stake" }).click();
    await status("Confirmed");
    await page.getByTestId("my-stake").filter({ hasText: "5,000" }).waitFor({ timeout: 10_000 });
    // One more, in one transaction: an ERC-2612 permit signed in the wallet, then stakeWithPermit.
    await amount.fill("1k");
    await page.getByRole("button", { name: "Stake with a permit (one transaction)" }).click();
    await status("Confirmed");
    await page.getByTestId("my-stake").filter({ hasText: "6,000" }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, "stake.png"), fullPage: true });

    await amount.fill("2,000");
    await page.getByRole("button", { name: "Unstake" }).click();
    await status("Confirmed");
    const lock = page.getByTestId("locks").getByRole("row").nth(1);
    await lock.filter({ hasText: /in 5m|in 4m/ }).waitFor({ timeout: 10_000 });
    expect(await page.getByRole("button", { name: "Withdraw matured" }).isDisabled()).toBe(true);

    // The devnet's unbonding period is 5 minutes: move its clock past it.
    expect(
      (await roost(["--deployment", join(root, ".roost", "devnet.json"), "devnet", "advance", "6m"], root))
        .code,
    ).toBe(0);
    await lock.filter({ hasText: "Ready" }).waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: "Withdraw matured" }).click();
    await page.getByTestId("balance").filter({ hasText: "21,000" }).waitFor({ timeout: 15_000 });
    await page.getByTestId("my-stake").filter({ hasText: "4,000" }).waitFor();
  });

  it("claims the emission rewards the stake earned, and keeps a history to export", async () => {
    await page.getByRole("link", { name: "Rewards" }).click();
    await page.getByTestId("pending-rewards").waitFor({ timeout: 15_000 });
    await page.getByTestId("pending-rewards").getByRole("button", { name: "Claim" }).first().click();
    await status("Confirmed");
    await page
      .getByTestId("claims")
      .getByRole("row")
      .nth(1)
      .filter({ hasText: MINER })
      .waitFor({ timeout: 15_000 });
    const csv = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
    expect(decodeURIComponent(csv ?? "")).toMatch(
      /^data:text\/csv;charset=utf-8,time,block,operator,amount_cai,transaction\n\d{4}-/,
    );
    await page.screenshot({ path: join(SHOTS, "rewards.png"), fullPage: true });
  });

  it("registers a miner, the self-stake checked against the minimum before signing", async () => {
    await page.getByRole("link", { name: "Become a node" }).click();
    await page.getByLabel("Operator", { exact: true }).fill(NEWCOMER);
    await page.getByRole("alert").filter({ hasText: "use a separate hot key" }).waitFor();
    await page.getByLabel("Self stake").fill("10k");
    await page.getByText("The self-stake must be at least 20,000 CAI.").waitFor();
    expect(await page.getByRole("button", { name: "Approve CAI and register" }).isDisabled()).toBe(true);
    await page.getByLabel("Self stake").fill("20k");
    await page.getByLabel("Introduction (a URL or a short text)").fill("ipfs://a-portal-miner");
    await page.getByRole("button", { name: "Approve CAI and register" }).click();
    await status("Confirmed");
    await page.screenshot({ path: join(SHOTS, "register.png"), fullPage: true });
    await page.getByRole("link", { name: "Stake & vote" }).click();
    await page
      .getByTestId("nodes")
      .getByRole("row")
      .filter({ hasText: NEWCOMER })
      .waitFor({ timeout: 10_000 });
  });

  it("runs an image through a coordinator and a miner in the playground", async () => {
    const { coordinator } = JSON.parse(readFileSync(join(root, ".roost", "devnet.json"), "utf8")) as {
      coordinator: { apiKey: string };
    };
    await page.getByRole("link", { name: "Playground" }).click();
    await page.getByLabel("API key").fill(coordinator.apiKey);
    await page.getByLabel("Prompt").fill("a hen on a roost");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByTestId("served-by").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("served-by").textContent()).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(await page.getByRole("img", { name: "a hen on a roost" }).getAttribute("src")).toMatch(
      /^data:image\/png;base64,iVBOR/,
    );
    await page.screenshot({ path: join(SHOTS, "playground.png"), fullPage: true });
    await page.getByRole("link", { name: "Disputes" }).click();
    await page.getByText("No slash proposals.").waitFor();
    await page.screenshot({ path: join(SHOTS, "disputes.png"), fullPage: true });
  });

  it("speaks six languages, Persian right to left, with numbers in the reader's locale", async () => {
    await page.goto(`${web}/#/network`);
    await page.getByTestId("total-stake").waitFor();
    await page.getByLabel("Language").selectOption("fr");
    await page.getByRole("heading", { name: "Réseau" }).waitFor();
    expect(await page.getByTestId("total-stake").textContent()).toMatch(/^2\u202f0\d\d\u202f\d{3} CAI$/);
    await page.getByLabel("Langue").selectOption("fa");
    await page.getByRole("heading", { name: "شبکه" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe("rtl");
    await page.screenshot({ path: join(SHOTS, "network-fa.png"), fullPage: true });
    for (const [code, heading] of [
      ["ja", "ネットワーク"],
      ["zh", "网络"],
      ["hi", "नेटवर्क"],
    ] as const) {
      await page.locator("select").first().selectOption(code);
      await page.getByRole("heading", { name: heading }).waitFor();
    }
    await page.reload(); // remembered
    await page.getByRole("heading", { name: "नेटवर्क" }).waitFor();
    await page.locator("select").first().selectOption("en");
  });

  it("is usable from the keyboard, every input with a label", async () => {
    page = await browser.newPage({ locale: "en-US" }); // focus starts at the top of a fresh document
    await page.goto(`${web}/#/stake`);
    await page.getByTestId("nodes").waitFor();
    await page.keyboard.press("Tab"); // the first link of the navigation
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(/#\/faucet$/);
    const unlabeled = await page.evaluate(
      () =>
        [...document.querySelectorAll("input, select")].filter(
          (el) => el.closest("label") === null && !el.getAttribute("aria-label"),
        ).length,
    );
    expect(unlabeled).toBe(0);
  });
});
