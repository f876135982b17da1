/**
 * `pipeline serve [--host 127.0.0.1] [--port 8787] [--runs-dir DIR] [--token T]`: serves the status API and
 * dashboard of a runs directory until SIGINT/SIGTERM.
 *
 * @module
 */
import { parseFlagsOrReport } from "../util/args.ts";
import { ServeConfigError, startServer } from "./serve.ts";

const USAGE = "usage: pipeline serve [--host 127.0.0.1] [--port 8787] [--runs-dir DIR] [--token T]";

function parsePort(text: string): number | undefined {
  const port = Number(text);
  return /^\d{1,5}$/.test(text) && port <= 65535 ? port : undefined;
}

/** Runs `pipeline serve`; returns the exit code (0 after a clean stop, 2 for bad flags). */
export async function main(args: string[]): Promise<number> {
  const parsed = parseFlagsOrReport("error", USAGE, {
    args,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8787" },
      "runs-dir": { type: "string", default: "runs" },
      token: { type: "string" },
    },
  });
  if (!parsed) return 2;
  const { values } = parsed;
  const port = parsePort(values.port);
  if (port === undefined) {
    console.error(`error: --port ${values.port}: expected a port number 0..65535\n${USAGE}`);
    return 2;
  }
  let server;
  try {
    server = startServer({
      host: values.host,
      port,
      runsDir: values["runs-dir"],
      token: values.token ?? Deno.env.get("PIPELINE_TOKEN"),
    });
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return error instanceof ServeConfigError ? 2 : 1;
  }
  console.error(`serving ${values["runs-dir"]} at ${server.url}/ (Ctrl-C stops)`);
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await stopped.promise;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await server.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
