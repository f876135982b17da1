// @ts-check
/// <reference lib="dom" />
/**
 * The status API from the page: JSON requests with the bearer token, and the run's event stream followed
 * with fetch (so it can send the token), reconnecting with Last-Event-ID.
 *
 * @module
 */

/** @typedef {import("../schemas.ts").RunEvent} RunEvent */

/** The token, kept for the tab's session. */
export const session = {
  token: sessionStorage.getItem("pipeline-token") ?? "",
  /** @param {string} token */
  setToken(token) {
    this.token = token;
    sessionStorage.setItem("pipeline-token", token);
  },
};

/** @returns {Record<string, string>} */
function authHeaders() {
  return session.token ? { Authorization: `Bearer ${session.token}` } : {};
}

/** Called when the API answers 401 (the page then asks for the token). */
let onUnauthorized = () => {};

/** @param {() => void} handler */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/**
 * Requests JSON; an error status throws with the API's message.
 * @template T
 * @param {string} path
 * @param {RequestInit} [options]
 * @returns {Promise<T>}
 */
export async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...authHeaders() } });
  if (response.status === 401) onUnauthorized();
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

/**
 * Follows a run's events until `signal` aborts, reconnecting after a second when the stream ends.
 * @param {string} runId
 * @param {number} after the last event already seen
 * @param {{ onEvent: (event: RunEvent) => void, onLive: (live: boolean) => void, signal: AbortSignal }} handlers
 */
export async function followEvents(runId, after, { onEvent, onLive, signal }) {
  let last = after;
  while (!signal.aborted) {
    try {
      const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/events`, {
        headers: { "Last-Event-ID": String(last), ...authHeaders() },
        signal,
      });
      if (!response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
      onLive(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim());
          if (data.length === 0) continue;
          /** @type {RunEvent} */
          const event = JSON.parse(data.join("\n"));
          last = event.id;
          onEvent(event);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      console.warn(error);
    }
    onLive(false);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
