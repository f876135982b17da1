/**
 * The runner's side of the host channel: reads the hello and the requests from stdin and writes verdicts
 * to stdout behind the host's nonce. Every global it relies on is captured when the module loads, before
 * any sample code exists, so a sample that replaces `JSON`, `TextEncoder` or `Deno.stdout` later changes
 * nothing here.
 *
 * @module
 */
import type { SandboxHello, SandboxReady, SandboxRequest, SandboxResponse } from "./protocol.ts";

const encoder = new TextEncoder();
const encode = encoder.encode.bind(encoder);
const stringify = JSON.stringify;
const parse = JSON.parse;
const stdout = Deno.stdout;
const writeSync = stdout.writeSync.bind(stdout);

/** Writes all of `bytes` to stdout synchronously (partial writes are retried). */
function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(bytes.subarray(offset));
}

/** An open channel to the host. */
export interface HostChannel {
  /** The output limit the host asked for. */
  readonly outputLimitBytes: number;
  /** The requests, in order, until the host closes stdin. */
  requests(): AsyncGenerator<SandboxRequest>;
  /** Sends a verdict (or the ready signal) behind the nonce. */
  send(message: SandboxResponse | SandboxReady): void;
}

/** Reads stdin as lines. */
async function* stdinLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of Deno.stdin.readable) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  if (pending.trim() !== "") yield pending;
}

/** Reads the hello line and returns the channel. Throws when stdin closes first. */
export async function openHostChannel(): Promise<HostChannel> {
  const lines = stdinLines();
  const first = await lines.next();
  if (first.done) throw new Error("sandbox runner: stdin closed before the hello line");
  const hello = parse(first.value) as SandboxHello;
  const prefix = hello.nonce + " ";
  return {
    outputLimitBytes: hello.outputLimitBytes,
    async *requests() {
      for await (const line of lines) {
        if (line.trim() !== "") yield parse(line) as SandboxRequest;
      }
    },
    send(message) {
      writeAll(encode(prefix + stringify(message) + "\n"));
    },
  };
}

/** Truncates `text` to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 15) + " ...[truncated]";
}
