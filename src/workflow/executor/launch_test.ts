import assert from "node:assert/strict";
import { PIPELINE_PERMISSIONS, pipelineCommand, PRODUCTION_ENTRY } from "./launch.ts";

const ROOT = new URL("../../../", import.meta.url);

Deno.test("a pipeline launched by the pipeline (shards, resumes by the server) gets the permissions of `deno task pipeline`", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
    tasks: Record<string, string>;
  };
  assert.equal(config.tasks.pipeline, `deno run ${PIPELINE_PERMISSIONS.join(" ")} src/cli.ts`);
  assert.equal(PRODUCTION_ENTRY, new URL("src/cli.ts", ROOT).pathname);
});

Deno.test("pipelineCommand runs the entry with those permissions", () => {
  const command = pipelineCommand("/x/cli.ts", ["shard", "r", "s", "0"]);
  assert.deepEqual(command, [
    Deno.execPath(),
    "run",
    ...PIPELINE_PERMISSIONS,
    "/x/cli.ts",
    "shard",
    "r",
    "s",
    "0",
  ]);
});
