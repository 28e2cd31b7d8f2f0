import { caiTokenAbi } from "@roost/protocol/abis";
import { PERMIT_TYPES } from "@roost/protocol/permit";
import { type Address, type PublicClient, parseSignature, type WalletClient } from "viem";

/**
 * An ERC-2612 permit for `spender` to take `value` CAI from the wallet's account, signed off chain:
 * staking with it takes one transaction instead of approve + stake. Valid for an hour.
 */
export async function signPermit(
  wallet: WalletClient,
  client: PublicClient,
  token: Address,
  spender: Address,
  value: bigint,
): Promise<{ deadline: bigint; v: number; r: `0x${string}`; s: `0x${string}` }> {
  const owner = wallet.account?.address;
  if (owner === undefined) throw new Error("connect a wallet first");
  const [nonce, name, block] = await Promise.all([
    client.readContract({ address: token, abi: caiTokenAbi, functionName: "nonces", args: [owner] }),
    client.readContract({ address: token, abi: caiTokenAbi, functionName: "name" }),
    client.getBlock(),
  ]);
  const deadline = block.timestamp + 3_600n;
  const signature = await wallet.signTypedData({
    account: owner,
    domain: { name, version: "1", chainId: await client.getChainId(), verifyingContract: token },
    types: PERMIT_TYPES,
    primaryType: "Permit",
    message: { owner, spender, value, nonce, deadline },
  });
  const { v, r, s, yParity } = parseSignature(signature);
  return { deadline, v: Number(v ?? BigInt(27 + yParity)), r, s };
}
