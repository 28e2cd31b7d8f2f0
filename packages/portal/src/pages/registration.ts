import type { Parsed } from "../format/amounts";

/** What stops a registration (a message key), checked before anything is offered for signing. */
export function registrationProblem(input: {
  role: 0 | 1;
  operator: Parsed<`0x${string}`>;
  stake: Parsed<bigint>;
  commission: Parsed<number>;
  endpoint: string;
  min: bigint;
  registered: boolean;
  consented: boolean;
}): string | undefined {
  if (!input.operator.ok) return "error.address";
  if (input.registered) return "register.taken";
  if (!input.stake.ok) return `error.${input.stake.error}`;
  if (input.stake.value < input.min) return "register.belowMinimum";
  if (!input.commission.ok) return "register.commission";
  if (input.role === 1 && !/^https?:\/\/\S+$/.test(input.endpoint)) return "register.endpointInvalid";
  if (!input.consented) return "register.noConsent";
  return undefined;
}
