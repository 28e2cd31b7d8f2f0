import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CONTRACT_NAMES,
  type Deployment,
  DeploymentFileError,
  parseDeployment,
  readDeployment,
  writeDeployment,
} from "../src/deployment.js";

const DEPLOYMENT: Deployment = {
  chainId: 31337,
  block: 1,
  deployer: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  contracts: {
    CAIToken: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    Staking: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    Faucet: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    PaymentEscrow: "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
    Disputes: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
  },
  parameters: { unbondingPeriod: "300", supply: "1000000000000000000000000000" },
};

const home = mkdtempSync(join(tmpdir(), "roost-deployment-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function refusal(value: unknown, source?: string): string {
  try {
    parseDeployment(value, source);
  } catch (error) {
    expect(error).toBeInstanceOf(DeploymentFileError);
    expect((error as Error).name).toBe("DeploymentFileError");
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

const without = (key: string) => Object.fromEntries(Object.entries(DEPLOYMENT).filter(([k]) => k !== key));
const withContract = (name: string, address: unknown) => ({
  ...DEPLOYMENT,
  contracts: { ...DEPLOYMENT.contracts, [name]: address },
});

describe("parseDeployment", () => {
  it("accepts a deployment as parsed from JSON", () => {
    const json = JSON.parse(JSON.stringify(DEPLOYMENT));
    expect(parseDeployment(json)).toEqual(DEPLOYMENT);
  });

  it.each([
    ["lowercase addresses", { ...DEPLOYMENT, deployer: DEPLOYMENT.deployer.toLowerCase() }],
    ["block 0", { ...DEPLOYMENT, block: 0 }],
    ["extra fields (devnet.json)", { ...DEPLOYMENT, rpcUrl: "http://127.0.0.1:8545", accounts: [] }],
    ["no parameters", without("parameters")],
  ])("accepts %s", (_, value) => {
    expect(parseDeployment(value)).toMatchObject({ chainId: 31337, contracts: DEPLOYMENT.contracts });
  });

  it.each<[string, unknown, string]>([
    ["null", null, '"(root)" must be a JSON object'],
    ["a string", "deployment", '"(root)" must be a JSON object'],
    ["a number", 31337, '"(root)" must be a JSON object'],
    ["an empty array", [], '"chainId" must be a positive integer'],
    ["no chainId", without("chainId"), '"chainId" must be a positive integer'],
    ["chainId 0", { ...DEPLOYMENT, chainId: 0 }, '"chainId" must be a positive integer'],
    ["chainId -1", { ...DEPLOYMENT, chainId: -1 }, '"chainId" must be a positive integer'],
    ["chainId 1.5", { ...DEPLOYMENT, chainId: 1.5 }, '"chainId" must be a positive integer'],
    ['chainId "31337"', { ...DEPLOYMENT, chainId: "31337" }, '"chainId" must be a positive integer'],
    ["no block", without("block"), '"block" must be a block number'],
    ["block -1", { ...DEPLOYMENT, block: -1 }, '"block" must be a block number'],
    ['block "1"', { ...DEPLOYMENT, block: "1" }, '"block" must be a block number'],
    ["block 2^53", { ...DEPLOYMENT, block: 2 ** 53 }, '"block" must be a block number'],
    ["no deployer", without("deployer"), '"deployer" must be an address'],
    ["a short deployer", { ...DEPLOYMENT, deployer: "0x1234" }, '"deployer" must be an address'],
    [
      "a deployer with a bad checksum",
      { ...DEPLOYMENT, deployer: DEPLOYMENT.deployer.replace("f39Fd", "F39fd") },
      '"deployer" must be an address',
    ],
    ["no contracts", without("contracts"), '"contracts" must be an object of addresses'],
    ["null contracts", { ...DEPLOYMENT, contracts: null }, '"contracts" must be an object of addresses'],
    ["string contracts", { ...DEPLOYMENT, contracts: "0x" }, '"contracts" must be an object of addresses'],
    ["no Staking", withContract("Staking", undefined), '"contracts.Staking" must be an address'],
    ["a bad Disputes", withContract("Disputes", "0xnope"), '"contracts.Disputes" must be an address'],
    ["a numeric Faucet", withContract("Faucet", 1), '"contracts.Faucet" must be an address'],
    ["string parameters", { ...DEPLOYMENT, parameters: "7d" }, '"parameters" must be an object'],
  ])("refuses %s, naming the field", (_, value, message) => {
    expect(refusal(value)).toBe(`deployment: ${message}`);
  });

  it.each(CONTRACT_NAMES)("checks the %s address", (name) => {
    expect(refusal(withContract(name, "0x0"))).toBe(`deployment: "contracts.${name}" must be an address`);
  });

  it("names the source in its messages", () => {
    expect(refusal({ ...DEPLOYMENT, block: -1 }, "deployments/31337.json")).toBe(
      'deployments/31337.json: "block" must be a block number',
    );
  });
});

describe("readDeployment / writeDeployment", () => {
  it("round-trips a deployment as indented JSON ending in a newline", () => {
    const path = join(home, "31337.json");
    writeDeployment(path, DEPLOYMENT);
    const text = readFileSync(path, "utf8");
    expect(text).toBe(`${JSON.stringify(DEPLOYMENT, null, 2)}\n`);
    expect(readDeployment(path)).toEqual(DEPLOYMENT);
  });

  it("explains a missing file and how to get one", () => {
    const path = join(home, "missing.json");
    expect(() => readDeployment(path)).toThrowError(
      new DeploymentFileError(
        `no deployment at ${path}: start the devnet (npm start) or pass --deployment <file>`,
      ),
    );
  });

  it("refuses a directory as a missing deployment", () => {
    expect(() => readDeployment(home)).toThrowError(`no deployment at ${home}`);
  });

  it.each(["", "{", "{chainId: 1}", "undefined"])("refuses the non-JSON %j", (text) => {
    const path = join(home, "broken.json");
    writeFileSync(path, text);
    expect(() => readDeployment(path)).toThrowError(new DeploymentFileError(`${path} is not valid JSON`));
  });

  it("refuses JSON that is not a deployment, naming the file and the field", () => {
    const path = join(home, "wrong.json");
    writeFileSync(
      path,
      JSON.stringify({ ...DEPLOYMENT, contracts: { ...DEPLOYMENT.contracts, Faucet: "" } }),
    );
    expect(() => readDeployment(path)).toThrowError(
      new DeploymentFileError(`${path}: "contracts.Faucet" must be an address`),
    );
  });
});
