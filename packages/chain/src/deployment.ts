import { readFileSync, writeFileSync } from "node:fs";
import { type Address, isAddress } from "viem";

/** The contracts of a Roost deployment. */
export const CONTRACT_NAMES = ["CAIToken", "Staking", "Faucet", "PaymentEscrow", "Disputes"] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** What `deploy` writes (deployments/<chainId>.json, .roost/devnet.json): enough to talk to it. */
export interface Deployment {
  chainId: number;
  /** The block of the first deployment transaction: where event scans start. */
  block: number;
  deployer: Address;
  contracts: Record<ContractName, Address>;
  /** The settings it was deployed with, amounts in wei and periods in seconds, as strings. */
  parameters: Record<string, string>;
}

/** Thrown for a deployment file that is missing or not a deployment; the message says which field. */
export class DeploymentFileError extends Error {
  override name = "DeploymentFileError";
}

/** Checks that `value` is a Deployment (as parsed from JSON). */
export function parseDeployment(value: unknown, source = "deployment"): Deployment {
  const fail = (field: string, what: string): never => {
    throw new DeploymentFileError(`${source}: "${field}" must be ${what}`);
  };
  if (typeof value !== "object" || value === null) return fail("(root)", "a JSON object");
  const v = value as Record<string, unknown>;
  if (!Number.isSafeInteger(v.chainId) || (v.chainId as number) <= 0) fail("chainId", "a positive integer");
  if (!Number.isSafeInteger(v.block) || (v.block as number) < 0) fail("block", "a block number");
  if (typeof v.deployer !== "string" || !isAddress(v.deployer)) fail("deployer", "an address");
  const contracts = v.contracts as Record<string, unknown> | undefined;
  if (typeof contracts !== "object" || contracts === null) fail("contracts", "an object of addresses");
  for (const name of CONTRACT_NAMES) {
    const address = (contracts as Record<string, unknown>)[name];
    if (typeof address !== "string" || !isAddress(address)) fail(`contracts.${name}`, "an address");
  }
  const parameters = v.parameters ?? {};
  if (typeof parameters !== "object" || parameters === null) fail("parameters", "an object");
  return { ...(value as Deployment), parameters: parameters as Record<string, string> };
}

/** Reads and checks a deployment JSON file. */
export function readDeployment(path: string): Deployment {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new DeploymentFileError(
      `no deployment at ${path}: start the devnet (npm start) or pass --deployment <file>`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DeploymentFileError(`${path} is not valid JSON`);
  }
  return parseDeployment(json, path);
}

export function writeDeployment(path: string, deployment: Deployment): void {
  writeFileSync(path, `${JSON.stringify(deployment, null, 2)}\n`);
}
