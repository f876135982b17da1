/**
 * Starting and stopping the status server, and the hook that `pipeline run --serve` uses.
 *
 * @module
 */
import { createApp } from "./app.ts";
import { isLoopback } from "./auth.ts";

/** Options of {@link startServer}. */
export interface ServeOptions {
  runsDir: string;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port (default 8787; 0 picks a free one). */
  port?: number;
  /** Bearer token; required when `host` is not a loopback address. */
  token?: string;
  /** Event polling interval in ms (default 250). */
  pollMs?: number;
}

/** A running status server. */
export interface RunningServer {
  /** The base URL, for example `http://127.0.0.1:8787`. */
  url: string;
  /** Stops accepting requests, ends open event streams, closes the store. */
  close(): Promise<void>;
}

/** Thrown when the options would expose the server unsafely. */
export class ServeConfigError extends Error {}

/** Starts the status server. */
export function startServer(options: ServeOptions): RunningServer {
  const host = options.host ?? "127.0.0.1";
  const loopback = isLoopback(host);
  const token = options.token || undefined;
  if (!loopback && !token) {
    throw new ServeConfigError(
      `binding to ${host} exposes the runs beyond this machine: give a token with --token T or PIPELINE_TOKEN`,
    );
  }
  const { app, reader } = createApp({
    runsDir: options.runsDir,
    token,
    tokenForReads: !loopback,
    events: options.pollMs ? { pollMs: options.pollMs } : undefined,
  });
  const abort = new AbortController();
  const server = Deno.serve(
    { hostname: host, port: options.port ?? 8787, signal: abort.signal, onListen: () => {} },
    app.fetch,
  );
  const address = server.addr;
  const shownHost = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: async () => {
      abort.abort();
      await server.shutdown();
      await server.finished;
      reader.close();
    },
  };
}

/**
 * The function for `setServeHook` (`pipeline run --serve [--port N]`): serves `runsDir` on 127.0.0.1 while
 * the run executes, with the token from PIPELINE_TOKEN (if any) enabling the actions.
 */
export function serveWhileRunning(runsDir: string, port: number): Promise<{ close(): Promise<void> }> {
  const server = startServer({ runsDir, port, token: Deno.env.get("PIPELINE_TOKEN") });
  console.error(`status: ${server.url}/`);
  return Promise.resolve(server);
}
