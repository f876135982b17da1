/**
 * Execution providers: which device runs the model, with an explicit rule for what happens when the chosen
 * one cannot load.
 *
 * Rule: the provider named in the settings is used, or the session fails with a message saying why and how
 * to fix it; only `fallback: "cpu"` allows running on the CPU instead, and then the fallback is logged and
 * reported in the result (never silent).
 *
 * @module
 */
import * as ort from "onnxruntime-node";

import type { Provider } from "../model/runtime.ts";
/** What to do when the requested provider cannot load: fail (default) or run on the CPU. */
export type ProviderFallback = "error" | "cpu";

/** How to open a session. */
export interface SessionSettings {
  /** The requested provider (default cpu). */
  provider?: Provider;
  /** The fallback rule (default "error"). */
  fallback?: ProviderFallback;
  /** Outputs to keep on the device ("gpu-buffer"); honoured with the webgpu provider only. */
  deviceOutputs?: readonly string[];
  /** Receives the fallback notice. */
  log?: (message: string) => void;
}

/** An opened session and the provider that actually runs it. */
export interface OpenedSession {
  session: ort.InferenceSession;
  /** The provider in use (differs from the request only after an allowed fallback). */
  provider: Provider;
  /** Why the requested provider was not used, after a fallback. */
  fallbackReason?: string;
}

/** How to make each provider available, for error messages. */
export const PROVIDER_HINTS: Record<Provider, string> = {
  cpu: "the CPU provider is built into onnxruntime-node; check that the model file is valid",
  cuda: "install the CUDA 12 runtime and cuDNN 9 and reinstall onnxruntime-node with its CUDA binaries " +
    "(ONNXRUNTIME_NODE_INSTALL_CUDA=v12)",
  webgpu: "install a Vulkan loader and driver (Debian: apt-get install libvulkan1 mesa-vulkan-drivers)",
};

/** Session options for a provider; device outputs are requested only where the provider supports them. */
function sessionOptions(
  provider: Provider,
  deviceOutputs: readonly string[],
): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
  };
  if (provider === "webgpu" && deviceOutputs.length > 0) {
    options.preferredOutputLocation = Object.fromEntries(deviceOutputs.map((name) => [name, "gpu-buffer"]));
  }
  return options;
}

/** Opens `modelPath` on the requested provider, applying the fallback rule when it cannot load. */
export async function openSession(modelPath: string, settings: SessionSettings = {}): Promise<OpenedSession> {
  const provider = settings.provider ?? "cpu";
  const deviceOutputs = settings.deviceOutputs ?? [];
  try {
    const session = await ort.InferenceSession.create(modelPath, sessionOptions(provider, deviceOutputs));
    return { session, provider };
  } catch (error) {
    const reason = `provider "${provider}" could not load ${modelPath}: ${(error as Error).message}`;
    if (provider === "cpu" || settings.fallback !== "cpu") {
      const fallbackHint = provider === "cpu" ? "" : `, or choose --provider cpu (or provider_fallback: cpu)`;
      throw new Error(`${reason}. To fix: ${PROVIDER_HINTS[provider]}${fallbackHint}`);
    }
    settings.log?.(`${reason}; falling back to the cpu provider as provider_fallback is "cpu"`);
    const session = await ort.InferenceSession.create(modelPath, sessionOptions("cpu", []));
    return { session, provider: "cpu", fallbackReason: reason };
  }
}
