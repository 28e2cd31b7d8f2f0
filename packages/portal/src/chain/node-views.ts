import type { Address, Hex } from "viem";

// Staking.getNodes returns NodeView[]: ABI-encoded tuples with two strings each. viem's general
// decoder takes ~60 us a node in a browser, ~0.6 s for a 10,000-node network, most of the nodes
// table's first paint; this one reads the fixed layout directly (~10x faster). Checked field by field
// against viem's decoder in test/node-views.test.ts.

export interface NodeView {
  operator: Address;
  owner: Address;
  role: number;
  status: number;
  totalStake: bigint;
  selfStake: bigint;
  unbondingStake: bigint;
  commissionBps: number;
  pendingCommissionBps: number;
  commissionEffectiveAt: number;
  jailedUntil: number;
  metadataURI: string;
  endpoint: string;
}

const WORD = 64; // hex characters in a 32-byte word
const utf8 = new TextDecoder();

/** Decodes the return data of `getNodes` (one dynamic array of NodeView tuples). */
export function decodeNodeViews(data: Hex): NodeView[] {
  const hex = data.slice(2);
  const word = (at: number) => hex.slice(at, at + WORD);
  const small = (at: number) => Number.parseInt(hex.slice(at + WORD - 12, at + WORD), 16); // < 2^48
  const address = (at: number) => `0x${hex.slice(at + 24, at + WORD)}` as Address;
  const string = (at: number) => {
    const length = small(at) * 2;
    const start = at + WORD;
    const bytes = new Uint8Array(length / 2);
    for (let i = 0; i < length; i += 2)
      bytes[i / 2] = Number.parseInt(hex.slice(start + i, start + i + 2), 16);
    return utf8.decode(bytes);
  };
  const array = small(0) * 2; // offset of the array, in hex characters
  const count = small(array);
  const heads = array + WORD; // the element offsets are relative to here
  const nodes: NodeView[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = heads + small(heads + i * WORD) * 2;
    const field = (n: number) => at + n * WORD;
    nodes[i] = {
      operator: address(field(0)),
      owner: address(field(1)),
      role: small(field(2)),
      status: small(field(3)),
      totalStake: BigInt(`0x${word(field(4))}`),
      selfStake: BigInt(`0x${word(field(5))}`),
      unbondingStake: BigInt(`0x${word(field(6))}`),
      commissionBps: small(field(7)),
      pendingCommissionBps: small(field(8)),
      commissionEffectiveAt: small(field(9)),
      jailedUntil: small(field(10)),
      metadataURI: string(at + small(field(11)) * 2),
      endpoint: string(at + small(field(12)) * 2),
    };
  }
  return nodes;
}
