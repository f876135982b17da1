/**
 * Where the Hugging Face Hub is and where its files are cached, read from the same environment variables as
 * `huggingface_hub` (`huggingface-cli download`, `datasets.load_dataset`), so a cache filled by those tools
 * is reused here and the other way round.
 *
 * | variable         | meaning                                                      | default                        |
 * | ---------------- | ------------------------------------------------------------ | ------------------------------ |
 * | `HF_ENDPOINT`    | the Hub (or a mirror)                                        | `https://huggingface.co`       |
 * | `HF_TOKEN`       | a user access token, sent as `Authorization: Bearer`        | the file `$HF_HOME/token`      |
 * | `HF_HOME`        | the Hugging Face home folder                                 | `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface` |
 * | `HF_HUB_CACHE`   | the cache of repositories                                    | `$HF_HOME/hub`                 |
 * | `HF_HUB_OFFLINE` | `1`: never touch the network, serve only what is cached      | off                            |
 *
 * @example
 * ```ts
 * import { hubSettings } from "./settings.ts";
 * const settings = hubSettings(); // from Deno.env
 * console.log(settings.endpoint, settings.cacheDir, settings.offline);
 * ```
 *
 * @module
 */
import { join } from "node:path";

/** How to reach the Hub and where to cache its files. */
export interface HubSettings {
  /** The Hub's base URL, without a trailing slash. */
  endpoint: string;
  /** The access token, if any. */
  token?: string;
  /** The repository cache (`models--org--name`, `datasets--org--name` folders live here). */
  cacheDir: string;
  /** Serve from the cache only. */
  offline: boolean;
}

/** The variables {@link hubSettings} reads. */
export type HubEnvironment = Partial<Record<string, string>>;

/** Whether an `HF_*` flag value means yes (`1`, `true`, `yes`, `on`, in any case), as huggingface_hub reads it. */
export function isTruthy(value: string | undefined): boolean {
  return ["1", "true", "yes", "on"].includes((value ?? "").trim().toLowerCase());
}

function readTokenFile(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The Hugging Face home folder: `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: HubEnvironment): string {
  if (env.HF_HOME) return env.HF_HOME;
  const cache = env.XDG_CACHE_HOME || join(env.HOME ?? Deno.cwd(), ".cache");
  return join(cache, "huggingface");
}

/** Reads the settings from `env` (default: the process environment). */
export function hubSettings(env: HubEnvironment = Deno.env.toObject()): HubSettings {
  const home = hfHome(env);
  const token = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim() ||
    readTokenFile(env.HF_TOKEN_PATH ?? join(home, "token"));
  return {
    endpoint: (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, ""),
    token,
    cacheDir: env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || join(home, "hub"),
    offline: isTruthy(env.HF_HUB_OFFLINE),
  };
}
