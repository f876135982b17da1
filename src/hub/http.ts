/**
 * Requests to the Hub: the token as `Authorization: Bearer`, and failures turned into one-line errors that
 * say what is wrong and how to fix it (a missing token, an unknown repository, revision or file).
 *
 * @module
 */
import type { HubSettings } from "./settings.ts";

/** A failed request to the Hub (or the network): the message says what and how to fix it. */
export class HubError extends Error {
  override name = "HubError";
  /** `status` is the HTTP status (0 when the network failed). */
  constructor(message: string, readonly status = 0) {
    super(message);
  }
}

/** The headers every request carries: a user agent and, when there is a token, the bearer token. */
export function hubHeaders(settings: HubSettings, extra: Record<string, string> = {}): Headers {
  const headers = new Headers({ "User-Agent": "score-pipeline (deno)", ...extra });
  if (settings.token) headers.set("Authorization", `Bearer ${settings.token}`);
  return headers;
}

/** Explains an error status of the Hub for `what` (a URL or a file). */
export function describeFailure(response: Response, what: string, settings: HubSettings): string {
  const code = response.headers.get("x-error-code") ?? "";
  const detail = response.headers.get("x-error-message");
  const suffix = detail ? ` (${detail})` : "";
  if (response.status === 401 || response.status === 403 || code === "GatedRepo") {
    const fix = settings.token
      ? "check that HF_TOKEN has access (gated repositories need their terms accepted on the Hub)"
      : "set HF_TOKEN to an access token (https://huggingface.co/settings/tokens)";
    return `${what}: HTTP ${response.status}, access denied${suffix}; ${fix}`;
  }
  if (response.status === 404) {
    const which = code === "RevisionNotFound"
      ? "no such revision"
      : code === "EntryNotFound"
      ? "no such file"
      : "not found";
    return `${what}: HTTP 404, ${which}${suffix}; check the repository id, --revision and the file name`;
  }
  return `${what}: HTTP ${response.status} ${response.statusText}${suffix}; try again later`;
}

/** Sends a request; a network failure becomes a {@link HubError} naming the endpoint. */
export async function hubFetch(
  url: string,
  settings: HubSettings,
  init: Omit<RequestInit, "headers"> & { headers?: Record<string, string> } = {},
): Promise<Response> {
  try {
    return await fetch(url, { ...init, headers: hubHeaders(settings, init.headers) });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new HubError(
      `${url}: ${(error as Error).message}; check the network or HF_ENDPOINT (${settings.endpoint}), ` +
        `or set HF_HUB_OFFLINE=1 to use what is cached`,
    );
  }
}

/** Fetches JSON; an error status becomes a {@link HubError}. */
export async function hubJson(url: string, settings: HubSettings): Promise<unknown> {
  const response = await hubFetch(url, settings, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    await response.body?.cancel();
    throw new HubError(describeFailure(response, url, settings), response.status);
  }
  return await response.json();
}
