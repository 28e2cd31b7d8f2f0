// The benchmark's miners process: an OpenAI-compatible backend that answers at once (the "direct"
// baseline, and what the miners call), and fleets of simulated miners that log in, long-poll the
// coordinator and answer each task with a signed EIP-712 TaskResult, as real miners do. Driven by
// bench/coordinator.ts over IPC (MinersCommand / MinersEvent).
import { createServer, type IncomingMessage } from "node:http";
import {
  type ChatTaskInput,
  type ChatTaskOutput,
  hashRoostMessage,
  type LeasedTask,
  type RoostPrimaryType,
} from "@roost/protocol";
import type { LocalAccount, TypedDataDefinition } from "viem";
import { toAccount } from "viem/accounts";
import { createDigestSigner } from "../../packages/chain/src/fast-ecdsa.js";
import { MinerClient } from "../../packages/coordinator/test/fixtures/miner-client.js";
import type { MinerServeLoop } from "../../packages/coordinator/test/fixtures/miner-serve.js";
import { BENCH_MODEL, type MinersCommand, type MinersEvent, minerKey } from "./ipc.js";
import { keepAliveAgent, postJson } from "./load.js";

/** A chat completion for the last user message, in OpenAI's shape, made at once. */
function completion(body: { model?: string; messages?: { role: string; content: string }[] }) {
  const last = body.messages?.findLast((message) => message.role === "user")?.content ?? "";
  const content = `echo: ${last}`;
  return {
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body.model ?? BENCH_MODEL,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: last.length, completion_tokens: content.length, total_tokens: 0 },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const backend = createServer(async (req, res) => {
  const answer = JSON.stringify(completion(JSON.parse(await readBody(req))));
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) });
  res.end(answer);
});
await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
const backendUrl = new URL(
  `http://127.0.0.1:${(backend.address() as { port: number }).port}/v1/chat/completions`,
);
const backendAgent = keepAliveAgent(1024);

/**
 * A viem account that signs Roost messages' EIP-712 digests (@roost/protocol's) with libsecp256k1 (the
 * coordinator's fast-ecdsa): the same RFC 6979 signatures as viem's own, many times cheaper, so the
 * miners' process does not starve the coordinator of the machine's two cores.
 */
function fastAccount(i: number): LocalAccount {
  const signer = createDigestSigner(minerKey(i));
  const refuse = async (): Promise<never> => {
    throw new Error("bench miners sign typed data only");
  };
  return toAccount({
    address: signer.address,
    signMessage: refuse,
    signTransaction: refuse,
    signTypedData: async (typedData) => {
      const { primaryType, domain, message } = typedData as TypedDataDefinition & {
        primaryType: RoostPrimaryType;
        domain: { chainId: number; verifyingContract: `0x${string}` };
      };
      return signer.sign(hashRoostMessage(primaryType, domain, message as never));
    },
  });
}

/** The backend's answer to a task, as the TaskOutput the miner signs. */
async function viaBackend(task: LeasedTask): Promise<ChatTaskOutput> {
  const input = task.input as ChatTaskInput;
  const { status, body } = await postJson(
    backendAgent,
    backendUrl,
    JSON.stringify({
      model: input.model,
      messages: input.messages,
      max_tokens: input.max_tokens,
      temperature: input.temperature,
    }),
  );
  if (status !== 200) throw new Error(`backend answered ${status}`);
  const answer = JSON.parse(body) as ReturnType<typeof completion>;
  const choice = answer.choices[0] as (typeof answer.choices)[number];
  return {
    type: "chat",
    content: choice.message.content,
    finish_reason: "stop",
    usage: { prompt_tokens: answer.usage.prompt_tokens, completion_tokens: answer.usage.completion_tokens },
  };
}

function inProcess(task: LeasedTask): ChatTaskOutput {
  const answer = completion(task.input as ChatTaskInput);
  return {
    type: "chat",
    content: answer.choices[0]?.message.content ?? "",
    finish_reason: "stop",
    usage: { prompt_tokens: answer.usage.prompt_tokens, completion_tokens: answer.usage.completion_tokens },
  };
}

// When each task reached the miner and how long the miner held it (see MinersEvent "spans").
const started = new Map<string, number>();
let spans: [string, number][] = [];

/** The fixture's client, noting the moment each result request is handed to node:http. */
class TimedMinerClient extends MinerClient {
  override submitResult(id: string, body: unknown) {
    const start = started.get(id);
    if (start !== undefined) {
      started.delete(id);
      spans.push([id, performance.now() - start]);
    }
    return super.submitResult(id, body);
  }
}

function timed(answer: (task: LeasedTask) => ChatTaskOutput | Promise<ChatTaskOutput>) {
  return (task: LeasedTask) => {
    started.set(task.id, performance.now());
    return answer(task);
  };
}

let fleet: MinerServeLoop[] = [];
const send = (event: MinersEvent) => process.send?.(event);

// Orphaned (the benchmark died): do not linger.
process.on("disconnect", () => process.exit(1));
process.on("message", async (command: MinersCommand) => {
  if (command.cmd === "fleet") {
    const { coordinator } = command;
    for (let i = command.first; i < command.first + command.count; i++) {
      const client = new TimedMinerClient({
        baseUrl: coordinator.url,
        account: fastAccount(i),
        coordinator: coordinator.operator,
        disputesDomain: coordinator.disputesDomain,
      });
      fleet.push(
        client.serve({
          models: [BENCH_MODEL],
          slots: command.slots,
          answer: timed(command.viaBackend ? viaBackend : inProcess),
        }),
      );
    }
    send({ event: "fleet", started: fleet.length });
  } else if (command.cmd === "stopFleet") {
    const loops = fleet;
    fleet = [];
    spans = [];
    await Promise.all(loops.map((loop) => loop.stop()));
    const errors = loops.flatMap((loop) => loop.errors);
    send({
      event: "stopped",
      completed: loops.reduce((n, loop) => n + loop.completed.length, 0),
      errors: errors.length,
      errorSamples: errors.slice(0, 5).map(String),
    });
  } else if (command.cmd === "spans") {
    send({ event: "spans", spans });
    spans = [];
  } else if (command.cmd === "exit") {
    backend.close();
    backendAgent.destroy();
    process.exit(0);
  }
});
send({ event: "ready", backendUrl: backendUrl.href });
