import assert from "node:assert/strict";
import { fileSha256 } from "./artifacts.ts";
import { digestInputs } from "./fingerprints.ts";
import { RunStore } from "./store.ts";

const HOUR_AGO = new Date(Date.now() - 3_600_000);

/** A directory with two files, one in a subdirectory, and a link to a file outside it, all an hour old. */
async function inputTree(): Promise<{ root: string; dir: string; store: RunStore }> {
  const root = await Deno.makeTempDir();
  const dir = `${root}/model`;
  await Deno.mkdir(`${dir}/sub`, { recursive: true });
  await Deno.writeTextFile(`${dir}/config.json`, '{"a":1}');
  await Deno.writeTextFile(`${dir}/sub/weights.bin`, "0123456789");
  await Deno.writeTextFile(`${root}/shared.txt`, "shared");
  await Deno.symlink(`${root}/shared.txt`, `${dir}/linked.txt`);
  for (const file of ["model/config.json", "model/sub/weights.bin", "shared.txt"]) {
    await Deno.utime(`${root}/${file}`, HOUR_AGO, HOUR_AGO);
  }
  return { root, dir, store: new RunStore(`${root}/pipeline.db`) };
}

Deno.test("an unchanged directory is hashed once, then its remembered file digests are reused", async () => {
  const { root, dir, store } = await inputTree();
  const first = await digestInputs(store, [dir], 0);
  assert.deepEqual([first.hashedFiles, first.reusedFiles], [3, 0], "the linked file counts too");
  assert.match(first.digests[dir], /^dir:[0-9a-f]{64}$/);
  const second = await digestInputs(store, [dir], 0);
  assert.deepEqual([second.hashedFiles, second.reusedFiles], [0, 3]);
  assert.equal(second.digests[dir], first.digests[dir]);

  await Deno.writeTextFile(`${dir}/sub/weights.bin`, "9876543210"); // same size, new content
  const edited = await digestInputs(store, [dir], 0);
  assert.deepEqual([edited.hashedFiles, edited.reusedFiles], [1, 2]);
  assert.notEqual(edited.digests[dir], first.digests[dir]);

  await Deno.writeTextFile(`${root}/shared.txt`, "SHARED"); // through the link
  assert.notEqual((await digestInputs(store, [dir], 0)).digests[dir], edited.digests[dir]);
  store.close();
  await Deno.remove(root, { recursive: true });
});

Deno.test("a file changed moments ago is hashed every time, not remembered", async () => {
  const { root, store } = await inputTree();
  const file = `${root}/fresh.jsonl`;
  await Deno.writeTextFile(file, '{"id":1}\n');
  const first = await digestInputs(store, [file]);
  assert.equal(first.digests[file], `file:${await fileSha256(file)}`);
  const again = await digestInputs(store, [file]);
  assert.deepEqual([again.hashedFiles, again.reusedFiles], [1, 0]);
  store.close();
  await Deno.remove(root, { recursive: true });
});

Deno.test("a missing path has the digest 'missing'; a path added later changes it", async () => {
  const { root, store } = await inputTree();
  const path = `${root}/later.jsonl`;
  assert.deepEqual((await digestInputs(store, [path])).digests, { [path]: "missing" });
  await Deno.writeTextFile(path, "{}\n");
  assert.match((await digestInputs(store, [path])).digests[path], /^file:/);
  store.close();
  await Deno.remove(root, { recursive: true });
});
