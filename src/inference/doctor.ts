/**
 * `pipeline doctor`: which onnxruntime execution providers load on this machine. Each provider opens and runs
 * a one-node graph with that provider alone (no fallback), so "loads" means a session really ran there; a
 * provider that does not load is listed with onnxruntime's reason and what to install.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { Graph } from "../model/onnx/graph.ts";
import { type Provider, PROVIDERS } from "../model/runtime.ts";
import { PROVIDER_HINTS } from "./provider.ts";

/** Whether a provider ran the test graph, and why not. */
export interface ProviderStatus {
  provider: Provider;
  loads: boolean;
  /** onnxruntime's error, first line, when it does not load. */
  reason?: string;
  /** What to install or change, when it does not load. */
  fix?: string;
  /** Seconds to open and run the test graph. */
  seconds: number;
}

/** Where onnxruntime-node keeps its native libraries on this platform. */
function nativeDir(): string {
  const entry = new URL(import.meta.resolve("onnxruntime-node")).pathname;
  const root = entry.slice(0, entry.lastIndexOf("/onnxruntime-node/") + "/onnxruntime-node/".length);
  return `${root}bin/napi-v6/${Deno.build.os}/${Deno.build.arch === "x86_64" ? "x64" : "arm64"}`;
}

/**
 * The native libraries a provider needs that onnxruntime-node's folder lacks. The CUDA provider's libraries
 * are downloaded by the package's postinstall script (`node ./script/install`, with
 * ONNXRUNTIME_NODE_INSTALL_CUDA=v12), which Deno does not run for npm packages unless approved.
 */
function missingLibraries(provider: Provider): string[] {
  if (provider !== "cuda") return [];
  const dir = nativeDir();
  const needed = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"];
  const missing = needed.filter((file) => {
    try {
      return !Deno.statSync(`${dir}/${file}`).isFile;
    } catch {
      return true;
    }
  });
  return missing.length === 0 ? [] : [
    `${missing.join(" and ")} not in ${dir}: the onnxruntime-node postinstall script that downloads the ` +
    `CUDA provider did not run (Deno skips npm install scripts; run it with ` +
    `ONNXRUNTIME_NODE_INSTALL_CUDA=v12 node ./script/install in the package folder, or deno approve-scripts)`,
  ];
}

/** A graph y = x + x: the smallest thing a provider must run. */
function testGraph(): Uint8Array {
  const g = new Graph("doctor");
  const x = g.input("x", "float32", [4]);
  g.output(g.add(x, x), "y");
  return g.toModel().onnx;
}

/**
 * Tries every provider this project supports, in order.
 *
 * @example
 * ```ts ignore
 * for (const status of await diagnoseProviders()) console.log(status.provider, status.loads);
 * ```
 */
export async function diagnoseProviders(
  providers: readonly Provider[] = PROVIDERS,
): Promise<ProviderStatus[]> {
  const model = testGraph();
  const statuses: ProviderStatus[] = [];
  for (const provider of providers) {
    const started = performance.now();
    try {
      const session = await ort.InferenceSession.create(model, { executionProviders: [provider] });
      const out = await session.run({ x: new ort.Tensor("float32", new Float32Array([1, 2, 3, 4]), [4]) });
      await session.release();
      const y = out.y.data as Float32Array;
      if (y[3] !== 8) throw new Error(`the test graph computed ${Array.from(y)} instead of 2,4,6,8`);
      statuses.push({ provider, loads: true, seconds: (performance.now() - started) / 1000 });
    } catch (error) {
      const reason = [(error as Error).message.split("\n")[0].trim(), ...missingLibraries(provider)].join(
        "; ",
      );
      statuses.push({
        provider,
        loads: false,
        reason,
        fix: PROVIDER_HINTS[provider],
        seconds: (performance.now() - started) / 1000,
      });
    }
  }
  return statuses;
}

/** Formats the statuses as the lines `pipeline doctor` prints. */
export function formatStatuses(statuses: readonly ProviderStatus[]): string {
  return statuses.map((s) =>
    s.loads
      ? `${s.provider.padEnd(7)} loads (ran a test graph in ${s.seconds.toFixed(2)} s)`
      : `${s.provider.padEnd(7)} does not load: ${s.reason}\n        to fix: ${s.fix}`
  ).join("\n");
}

/** `pipeline doctor [--json]`: prints the providers' statuses; exit code 0 when the cpu provider loads. */
export async function main(args: string[]): Promise<number> {
  const statuses = await diagnoseProviders();
  if (args.includes("--json")) console.log(JSON.stringify(statuses, null, 2));
  else {
    console.log(`onnxruntime-node ${ort.env.versions.common}, execution providers on this machine:`);
    console.log(formatStatuses(statuses));
  }
  return statuses.find((s) => s.provider === "cpu")?.loads ? 0 : 1;
}
