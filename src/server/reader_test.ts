import assert from "node:assert/strict";
import { RunStore } from "../workflow/store.ts";
import { startServer } from "./serve.ts";

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

const RUN = {
  id: "r1",
  workflow: "w",
  file: "w.yaml",
  source: "name: w\nsteps: []\n",
  params: "{}",
  status: "done" as const,
  pid: 1,
  created: 1,
};

Deno.test("the status server started before the store's tables exist answers 'no runs', then sees them", async () => {
  const runsDir = await Deno.makeTempDir();
  // A pipeline creates the database file a moment before its tables.
  await Deno.writeFile(`${runsDir}/pipeline.db`, new Uint8Array());
  const server = startServer({ runsDir, port: 0 });
  try {
    assert.deepEqual(await getJson(`${server.url}/api/runs`), { status: 200, body: { runs: [] } });
    assert.deepEqual(await getJson(`${server.url}/healthz`), {
      status: 200,
      body: { status: "ok", store: false },
    });
    assert.equal((await getJson(`${server.url}/api/runs/r1`)).status, 404);
    const store = new RunStore(`${runsDir}/pipeline.db`);
    store.createRun(RUN, [{ id: "a", kind: "test.work", needs: [] }]);
    const { status, body } = await getJson(`${server.url}/api/runs`);
    assert.equal(status, 200);
    assert.deepEqual((body as { runs: { id: string }[] }).runs.map((r) => r.id), ["r1"]);
    store.close();
  } finally {
    await server.close();
    await Deno.remove(runsDir, { recursive: true });
  }
});
