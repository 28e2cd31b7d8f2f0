// Receipts are kept only if PaymentEscrow would pay them: the coordinator's signature over this
// miner and a whole amount.
import { createDigestSigner } from "@roost/chain";
import { hashReceipt } from "@roost/protocol";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { receiptProblem } from "../src/earnings/receipt-check.js";

const domain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" } as const;
const coordinatorKey = createDigestSigner(generatePrivateKey());
const coordinator = coordinatorKey.address;
const miner = privateKeyToAddress(generatePrivateKey());
const expected = { coordinator, miner, domain };
const signed = (amount: bigint, signer = coordinatorKey) => ({
  coordinator,
  miner,
  cumulativeAmount: amount.toString(),
  signature: signer.sign(hashReceipt(domain, { coordinator, miner, cumulativeAmount: amount })),
  tasks: 3,
});

describe("receipt check", () => {
  it("accepts the coordinator's receipt for this miner", () => {
    expect(receiptProblem(signed(10n ** 18n), expected)).toBeUndefined();
  });

  it("names what is wrong with a receipt PaymentEscrow would refuse", () => {
    const good = signed(5n);
    const other = createDigestSigner(generatePrivateKey());
    expect(receiptProblem(signed(5n, other), expected)).toBe("its signature is not the coordinator's");
    expect(receiptProblem({ ...good, cumulativeAmount: "6" }, expected)).toBe(
      "its signature is not the coordinator's",
    );
    expect(receiptProblem({ ...good, signature: "0x1234" }, expected)).toBe(
      "its signature is not the coordinator's",
    );
    expect(receiptProblem({ ...good, miner: other.address }, expected)).toBe(
      `it names miner ${other.address}`,
    );
    expect(receiptProblem({ ...good, coordinator: other.address }, expected)).toBe(
      `it names coordinator ${other.address}`,
    );
    expect(receiptProblem({ ...good, cumulativeAmount: "1e18" }, expected)).toBe(
      'its amount "1e18" is not a whole number of base units',
    );
    expect(receiptProblem({ ...good, tasks: -1 }, expected)).toBe("its task count -1 is not a count");
    expect(receiptProblem(signed(5n), { ...expected, domain: { ...domain, chainId: 1 } })).toBe(
      "its signature is not the coordinator's",
    );
  });
});
