import assert from "node:assert/strict";
import { withFiles, withTempDir } from "./temp_dir.ts";

Deno.test("withTempDir passes a fresh directory, returns fn's result and removes the directory", async () => {
  let seen = "";
  const result = await withTempDir(async (dir) => {
    seen = dir;
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
    await Deno.writeTextFile(`${dir}/a.txt`, "a");
    return 7;
  }, { prefix: "temp-dir-test-" });
  assert.equal(result, 7);
  assert.match(seen, /temp-dir-test-/);
  await assert.rejects(Deno.stat(seen), Deno.errors.NotFound);
});

Deno.test("withTempDir removes the directory when fn throws; withFiles writes the files first", async () => {
  let seen = "";
  await assert.rejects(
    withFiles({ "a.txt": "one", "b.txt": "two" }, async (dir) => {
      seen = dir;
      assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "one");
      assert.equal(await Deno.readTextFile(`${dir}/b.txt`), "two");
      throw new Error("boom");
    }),
    /boom/,
  );
  await assert.rejects(Deno.stat(seen), Deno.errors.NotFound);
});
