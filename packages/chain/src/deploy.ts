import { caiTokenAbi, disputesAbi, faucetAbi, paymentEscrowAbi, stakingAbi } from "@roost/protocol";
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  getAddress,
  type Hash,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { ROLES } from "./contracts.js";
import { checkDeployConfig, type DeployConfig } from "./deploy-config.js";
import type { Deployment } from "./deployment.js";
import {
  caiTokenBytecode,
  disputesBytecode,
  faucetBytecode,
  paymentEscrowBytecode,
  stakingBytecode,
} from "./generated/bytecode.js";

export interface DeployClients {
  publicClient: PublicClient;
  walletClient: WalletClient<Transport, Chain, Account>;
}

/**
 * Deploys and wires every contract with `config` from the wallet's account, which becomes
 * admin, guardian, reward distributor and dripper (hand these to a timelock and a multisig in
 * production); funds the faucet and starts the emission stream. `onProgress` hears each step.
 */
export async function deploy(
  { publicClient, walletClient }: DeployClients,
  config: DeployConfig,
  onProgress: (step: string) => void = () => {},
): Promise<Deployment> {
  checkDeployConfig(config);
  const deployer = walletClient.account.address;
  const treasury = config.treasury ?? deployer;
  const arbiter = config.arbiter ?? deployer;
  const chainId = await publicClient.getChainId();
  let firstBlock: bigint | undefined;

  const confirm = async (hash: Hash) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`deployment transaction ${hash} reverted`);
    firstBlock ??= receipt.blockNumber;
    return receipt;
  };
  const create = async (name: string, abi: Abi, bytecode: Hex, args: readonly unknown[]) => {
    onProgress(`deploying ${name}`);
    const hash = await walletClient.deployContract({ abi, bytecode, args });
    const { contractAddress } = await confirm(hash);
    if (!contractAddress) throw new Error(`${name} was not created (transaction ${hash})`);
    // Said at once: if a later step fails, the contracts made so far can still be found.
    onProgress(`${name} is at ${getAddress(contractAddress)}`);
    return getAddress(contractAddress);
  };
  const call = async (label: string, address: Address, abi: Abi, functionName: string, args: unknown[]) => {
    onProgress(label);
    await confirm(await walletClient.writeContract({ address, abi, functionName, args }));
  };

  const CAIToken = await create("CAIToken", caiTokenAbi, caiTokenBytecode, [deployer, config.supply]);
  const Staking = await create("Staking", stakingAbi, stakingBytecode, [
    CAIToken,
    deployer,
    treasury,
    {
      minMinerStake: config.minMinerStake,
      minCoordinatorStake: config.minCoordinatorStake,
      unbondingPeriod: config.unbondingPeriod,
      commissionDelay: config.commissionDelay,
      jailPeriod: config.jailPeriod,
    },
  ]);
  const Faucet = await create("Faucet", faucetAbi, faucetBytecode, [
    CAIToken,
    deployer,
    config.faucetDrip,
    config.faucetCooldown,
  ]);
  const PaymentEscrow = await create("PaymentEscrow", paymentEscrowAbi, paymentEscrowBytecode, [
    Staking,
    deployer,
    config.unlockPeriod,
  ]);
  const Disputes = await create("Disputes", disputesAbi, disputesBytecode, [
    Staking,
    deployer,
    {
      equivocationBps: config.equivocationBps,
      finderFeeBps: config.finderFeeBps,
      falseAccusationBps: config.falseAccusationBps,
      accusedShareBps: config.accusedShareBps,
      maxProposalBps: config.maxProposalBps,
      disputeBond: config.disputeBond,
      challengeWindow: config.challengeWindow,
      arbitrationWindow: config.arbitrationWindow,
    },
  ]);

  const grant = (label: string, address: Address, abi: Abi, roleHash: Hex, account: Address) =>
    call(`granting ${label}`, address, abi, "grantRole", [roleHash, account]);
  await grant("GUARDIAN_ROLE", Staking, stakingAbi, ROLES.GUARDIAN_ROLE, deployer);
  await grant("REWARD_DISTRIBUTOR_ROLE", Staking, stakingAbi, ROLES.REWARD_DISTRIBUTOR_ROLE, deployer);
  await grant("SLASHER_ROLE to PaymentEscrow", Staking, stakingAbi, ROLES.SLASHER_ROLE, PaymentEscrow);
  await grant("SLASHER_ROLE to Disputes", Staking, stakingAbi, ROLES.SLASHER_ROLE, Disputes);
  await grant("DRIPPER_ROLE", Faucet, faucetAbi, ROLES.DRIPPER_ROLE, deployer);
  await grant("ARBITER_ROLE", Disputes, disputesAbi, ROLES.ARBITER_ROLE, arbiter);
  if (config.faucetFunds > 0n) {
    await call("funding the faucet", CAIToken, caiTokenAbi, "transfer", [Faucet, config.faucetFunds]);
  }
  if (config.emission > 0n) {
    await call("approving the emission", CAIToken, caiTokenAbi, "approve", [Staking, config.emission]);
    await call("starting the emission stream", Staking, stakingAbi, "notifyRewardAmount", [
      config.emission,
      config.emissionDuration,
    ]);
  }

  return {
    chainId,
    block: Number(firstBlock ?? 0n),
    deployer,
    contracts: { CAIToken, Staking, Faucet, PaymentEscrow, Disputes },
    parameters: Object.fromEntries(
      Object.entries({ ...config, treasury, arbiter }).map(([key, value]) => [key, String(value)]),
    ),
  };
}
