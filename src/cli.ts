/**
 * The `pipeline` command line: `deno task pipeline <command> ...`. The entry point wires the production step
 * registry into the commands of `src/cli/`.
 *
 * @module
 */
import { main } from "./cli/main.ts";

if (import.meta.main) {
  Deno.exit(await main(Deno.args, { stepKinds: async () => (await import("./steps/mod.ts")).stepKinds }));
}
